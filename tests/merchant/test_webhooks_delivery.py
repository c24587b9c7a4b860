"""Events from money movements reach a real receiver (on 127.0.0.1) that verifies each one with the
`standardwebhooks` library; the worker runs in this process (`flask webhooks work --once`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from app.core import clock
from app.extensions import db
from app.merchant.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support.payment_codes import PIN, charge, charged, customer, phone_of, set_pin
from tests.support.qr import pay
from tests.support.terminals import make_terminal
from tests.support.webhooks import Receiver, deliver, deliveries, stored_events, subscribe


def shop(api, receiver: Receiver, *, kind: str = "pos", events: list[str] | None = None):
    owner = api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner, kind=kind)
    endpoint = subscribe(api, owner, terminal.merchant_id, receiver, events)
    return owner, terminal, endpoint


def test_a_charge_is_delivered_signed_after_the_payment_and_never_inline(app, api):
    with Receiver() as receiver:
        owner, terminal, _ = shop(api, receiver)
        phone = phone_of(api, api.person(name="Alice", balance=5000))

        made = charged(terminal, phone, 1250, reference="T1-0001")

        # the payment answered without any request to the merchant's server
        assert receiver.hits == []
        [delivery] = deliveries(api, owner, terminal.merchant_id)
        assert delivery["status"] == "pending" and delivery["event_type"] == "payment.succeeded"

        assert deliver(app) == 1
        [payload] = receiver.verified()
        assert receiver.ids() == [delivery["event_id"]]
        assert payload["type"] == "payment.succeeded"
        assert payload["data"] == {"charge_id": made["id"], "merchant_id": terminal.merchant_id,
                                   "terminal_id": terminal.terminal_id, "id": made["transaction_id"],
                                   "transaction_id": made["transaction_id"],
                                   "amount": 1250, "currency": "USD", "reference": "T1-0001",
                                   "created_at": made["created_at"], "fee": 0}
        datetime.fromisoformat(payload["timestamp"])
        [done] = deliveries(api, owner, terminal.merchant_id)
        assert done["status"] == "succeeded" and done["attempts"] == 1 and done["last_status_code"] == 200
        assert [a["status_code"] for a in done["attempt_log"]] == [200]
        assert deliver(app) == 0  # nothing sent twice


def test_a_confirmed_charge_emits_payment_succeeded_when_the_customer_approves(app, api):
    with Receiver() as receiver:
        _, terminal, _ = shop(api, receiver, events=["payment.succeeded"])
        alice = api.person(name="Alice", balance=50_000)
        set_pin(api, alice)
        made = charged(terminal, phone_of(api, alice), 15_000)
        assert stored_events(app) == []  # waiting for the customer: nothing happened yet

        assert api.post(f"/api/v1/payments/{made['id']}/confirm", alice, json={"pin": PIN}).status_code == 200
        deliver(app)

        [payload] = receiver.verified()
        assert payload["type"] == "payment.succeeded" and payload["data"]["charge_id"] == made["id"]


def test_a_payment_that_rolled_back_is_never_sent(app, api):
    with Receiver() as receiver:
        owner, terminal, _ = shop(api, receiver)
        phone = phone_of(api, api.person(name="Alice", balance=300))

        # when a charge is refused by the ledger after pos_charge wrote payment.succeeded in the
        # savepoint that ledger_post's refusal undoes
        response = charge(terminal, phone.code(), 500)

        assert response.status_code == 402 and response.json["error"]["code"] == "insufficient_funds"
        # then the outbox holds only the refusal
        assert [t for _, t in stored_events(app)] == ["payment.failed"]
        assert [d["event_type"] for d in deliveries(api, owner, terminal.merchant_id)] == ["payment.failed"]
        deliver(app)
        [payload] = receiver.verified()
        assert receiver.types() == ["payment.failed"]
        assert payload["data"]["failure_code"] == "insufficient_funds"
        assert payload["data"]["charge_id"] == response.json["error"]["details"]["charge_id"]


def test_a_500_is_retried_and_the_second_attempt_succeeds(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", "0,0,0")
    with Receiver(answers=[500, 200]) as receiver:
        owner, terminal, _ = shop(api, receiver)
        charged(terminal, phone_of(api, api.person(name="Alice", balance=5000)), 700)

        deliver(app)

        receiver.verified()
        assert len(set(receiver.ids())) == 1 and len(receiver.ids()) == 2  # the same event twice
        [delivery] = deliveries(api, owner, terminal.merchant_id)
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
        assert [a["status_code"] for a in delivery["attempt_log"]] == [200, 500]  # newest first
        assert delivery["attempt_log"][1]["error"] == "HTTP 500"


def test_the_first_retry_comes_within_30_seconds_on_the_default_schedule(app, api):
    with Receiver(answers=[503]) as receiver:
        owner, terminal, _ = shop(api, receiver)
        charged(terminal, phone_of(api, api.person(name="Alice", balance=5000)), 700)

        deliver(app)
        [waiting] = deliveries(api, owner, terminal.merchant_id)
        wait = (datetime.fromisoformat(waiting["next_attempt_at"]) -
                datetime.fromisoformat(waiting["updated_at"])).total_seconds()
        assert waiting["status"] == "pending" and waiting["last_status_code"] == 503
        assert 0 < wait <= 30
        assert deliver(app) == 0 and len(receiver.hits) == 1  # not due yet

        clock.advance(wait + 0.1)
        deliver(app)

        assert len(receiver.verified()) == 2
        assert deliveries(api, owner, terminal.merchant_id)[0]["status"] == "succeeded"


def test_after_the_last_attempt_it_fails_and_a_manual_retry_sends_it_again(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", "0,0")
    with Receiver(answers=[500, 500, 500]) as receiver:
        owner, terminal, _ = shop(api, receiver)
        charged(terminal, phone_of(api, api.person(name="Alice", balance=5000)), 700)

        deliver(app)
        [failed] = deliveries(api, owner, terminal.merchant_id)
        assert failed["status"] == "failed" and failed["attempts"] == 3 and len(receiver.hits) == 3
        assert failed["next_attempt_at"] is None
        assert deliveries(api, owner, terminal.merchant_id, status="failed") == [failed]

        retry = f"/api/v1/merchants/{terminal.merchant_id}/webhook-deliveries/{failed['id']}/retry"
        response = api.post(retry, owner)
        assert response.status_code == 200 and response.json["status"] == "pending"
        deliver(app)

        [done] = deliveries(api, owner, terminal.merchant_id)
        assert done["status"] == "succeeded" and done["attempts"] == 4 and len(receiver.verified()) == 4
        again = api.post(retry, owner)
        assert again.status_code == 409 and again.json["error"]["code"] == "delivery_not_retryable"


def test_a_slow_receiver_times_out_and_a_redirect_is_not_followed(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 1)
    with Receiver(delays=[3]) as slow, Receiver(answers=[302]) as moved:
        owner, terminal, _ = shop(api, slow, events=["batch.closed"])
        moved.location = slow.url
        subscribe(api, owner, terminal.merchant_id, moved, ["batch.closed"])
        assert terminal.post("/api/v1/pos/batches/close", {}).status_code == 201

        deliver(app)

        errors = {d["endpoint_id"]: d for d in deliveries(api, owner, terminal.merchant_id)}
        assert len(moved.hits) == 1 and len(slow.hits) == 1  # the redirect did not reach `slow`
        assert sorted((d["last_error"] or "")[:9] for d in errors.values()) == ["HTTP 302", "timed out"]
        assert all(d["status"] == "pending" and d["attempts"] == 1 for d in errors.values())


def test_a_disabled_endpoint_gets_no_new_deliveries_and_its_pending_ones_are_not_sent(app, api):
    with Receiver() as receiver:
        owner, terminal, endpoint = shop(api, receiver)
        phone = phone_of(api, api.person(name="Alice", balance=5000))
        charged(terminal, phone, 100)  # pending for the endpoint
        base = f"/api/v1/merchants/{terminal.merchant_id}/webhooks/{endpoint['id']}"
        api.post(f"{base}/disable", owner)

        charged(terminal, phone, 200)
        deliver(app)

        [only] = deliveries(api, owner, terminal.merchant_id)
        assert receiver.hits == [] and only["status"] == "failed" and only["last_error"] == "endpoint disabled"
        retry = f"/api/v1/merchants/{terminal.merchant_id}/webhook-deliveries/{only['id']}/retry"
        assert api.post(retry, owner).status_code == 409
        api.post(f"{base}/enable", owner)
        assert api.post(retry, owner).status_code == 200
        deliver(app)
        assert len(receiver.verified()) == 1


def test_refunds_reversals_captures_voids_and_batch_closes_are_delivered(app, api):
    with Receiver() as receiver:
        owner, till, _ = shop(api, receiver)
        phone = phone_of(api, api.person(name="Alice", balance=5000))
        paid = charged(till, phone, 1000, reference="R-7")
        assert till.post(f"/api/v1/pos/charges/{paid['id']}/refunds", {"amount": 300}).status_code == 201
        assert till.post(f"/api/v1/pos/charges/{paid['id']}/reverse").status_code == 200
        assert till.post(f"/api/v1/pos/charges/{paid['id']}/reverse").status_code == 200  # repeated: no event
        machine = make_terminal(api, owner=owner, merchant={"id": till.merchant_id}, kind="vending", label="V1")
        buyer = customer(api, balance=5000)
        held = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500}).json
        assert machine.post(f"/api/v1/pos/authorizations/{held['id']}/capture", {"amount": 350}).status_code == 200
        other = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 400}).json
        assert machine.post(f"/api/v1/pos/authorizations/{other['id']}/void").status_code == 200
        assert machine.post(f"/api/v1/pos/authorizations/{other['id']}/void").status_code == 200
        closed = machine.post("/api/v1/pos/batches/close", {}).json

        deliver(app)

        by_type: dict[str, list[dict]] = {}
        for payload in receiver.verified():
            by_type.setdefault(payload["type"], []).append(payload["data"])
        assert {t: len(v) for t, v in by_type.items()} == {
            "payment.succeeded": 1, "refund.succeeded": 2, "authorization.captured": 1,
            "authorization.voided": 1, "batch.closed": 1}
        refund, reversal = sorted(by_type["refund.succeeded"], key=lambda d: d["reversal"])
        assert (refund["amount"], refund["reversal"], refund["reference"]) == (300, False, "R-7")
        assert (reversal["amount"], reversal["reversal"], reversal["charge_id"]) == (700, True, paid["id"])
        [captured] = by_type["authorization.captured"]
        assert (captured["authorization_id"], captured["amount"], captured["authorized_amount"]) == (held["id"], 350, 500)
        assert captured["terminal_id"] == machine.terminal_id
        assert by_type["authorization.voided"][0]["authorization_id"] == other["id"]
        [batch] = by_type["batch.closed"]
        assert batch["batch_id"] == closed["id"] and batch["totals"] == closed["totals"]
        assert len(set(receiver.ids())) == len(receiver.ids())


def test_in_production_the_worker_refuses_a_host_that_resolves_inside_the_network(app, api, monkeypatch):
    # given an endpoint whose host name resolves to a loopback address (registered where that is
    # allowed; in production a DNS name passes registration and may point inward later)
    with Receiver() as inside:
        owner, terminal, _ = shop(api, inside, events=["batch.closed"])
        with app.app_context():
            db.session.execute(update(WebhookEndpoint).values(url=inside.url.replace("127.0.0.1", "localhost")))
            db.session.commit()
        assert terminal.post("/api/v1/pos/batches/close", {}).status_code == 201

        # when the worker runs as in production
        monkeypatch.setitem(app.config, "APP_ENV", "production")
        deliver(app)

        # then nothing reached the receiver, and the attempt says why; the delivery waits for a retry
        assert inside.hits == []
        [delivery] = deliveries(api, owner, terminal.merchant_id)
        assert "not a public address" in delivery["last_error"]
        assert (delivery["status"], delivery["attempts"]) == ("pending", 1)

        # and with WEBHOOK_ALLOW_LOCAL (staging, the bench) the same endpoint is reached
        monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOCAL", True)
        with app.app_context():
            db.session.execute(update(WebhookDelivery).values(next_attempt_at=clock.now()))
            db.session.commit()
        deliver(app)
        assert len(inside.hits) == 1


def test_a_terminals_manual_capture_and_void_are_delivered_once_each(app, api):
    # given a terminal's two manual-capture requests that a customer paid (money only held)
    with Receiver() as receiver:
        owner, till, _ = shop(api, receiver, events=["authorization.captured", "authorization.voided"])
        alice = api.person(name="Alice", balance=5000)
        body = {"currency": "USD", "reference": "T1-7", "capture": "manual"}
        requests = [till.post("/api/v1/pos/payment-requests", {"amount": amount, **body}).json for amount in (500, 400)]
        for request in requests:
            assert pay(api, alice, request["payload"]).status_code == 201

        # when the terminal captures 3.00 of the first and voids the second (twice: a retry)
        first, second = (f"/api/v1/pos/payment-requests/{r['id']}" for r in requests)
        assert till.post(f"{first}/capture", {"amount": 300}).status_code == 200
        assert till.post(f"{second}/void").status_code == 200
        assert till.post(f"{second}/void").status_code == 200
        deliver(app)

        # then the merchant hears of each once, with what was taken and what was held
        by_type = {p["type"]: p["data"] for p in receiver.verified()}
        assert len(receiver.verified()) == 2
        captured, voided = by_type["authorization.captured"], by_type["authorization.voided"]
        assert (captured["payment_request_id"], captured["amount"], captured["authorized_amount"]) == (
            requests[0]["id"], 300, 500)
        assert captured["terminal_id"] == till.terminal_id and captured["transaction_id"]
        assert (voided["payment_request_id"], voided["amount"], voided["authorized_amount"]) == (
            requests[1]["id"], 400, 400)

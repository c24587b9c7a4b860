"""The request id reaches the webhook events a request causes, their delivery and the worker's
log line (app.core.request_ids): from a payment function (webhook_emit reads it from the
statement's setting) and from Python's emit alike; a background job's event has none."""
from __future__ import annotations

from sqlalchemy import select
from structlog.testing import capture_logs

from app.extensions import db
from app.merchant.webhooks.models import WebhookEvent
from tests.support.payment_codes import charge, charged, phone_of
from tests.support.terminals import make_terminal, refund_charge
from tests.support.webhooks import Receiver, deliver, subscribe


def _request_ids(app) -> dict[str, str | None]:
    with app.app_context():
        return {type_: request_id for type_, request_id in db.session.execute(
            select(WebhookEvent.type, WebhookEvent.request_id).order_by(WebhookEvent.created_at))}


def test_a_charges_event_carries_its_request_id_to_the_receiver_and_the_workers_log(app, api):
    with Receiver() as receiver:
        owner = api.person(name="Shop Owner")
        terminal = make_terminal(api, owner=owner)
        subscribe(api, owner, terminal.merchant_id, receiver)
        phone = phone_of(api, api.person(name="Alice", balance=5000))

        paid = charge(terminal, phone.code(), 1250)
        assert paid.status_code == 201, paid.json
        request_id = paid.headers["X-Request-Id"]
        assert _request_ids(app) == {"payment.succeeded": request_id}

        with capture_logs() as lines:
            assert deliver(app) == 1
        [hit] = receiver.wait_for(1)
        assert hit.headers["x-request-id"] == request_id
        [line] = [line for line in lines if line["event"] == "webhook delivery"]
        assert line["request_id"] == request_id and line["event_id"] == hit.webhook_id and line["status"] == 200


def test_each_request_names_its_own_events_whichever_way_they_are_written(app, api):
    terminal = make_terminal(api)
    made = charged(terminal, phone_of(api, api.person(name="Alice", balance=5000)), 1000)
    refunded = refund_charge(terminal, made["id"], 300)  # pos_give_back, another payment function
    assert refunded.status_code == 201, refunded.json
    closed = terminal.post("/api/v1/pos/batches/close", {})  # batch.closed: emitted in Python
    assert closed.status_code in (200, 201), closed.json

    ids = _request_ids(app)
    assert ids["refund.succeeded"] == refunded.headers["X-Request-Id"]
    assert ids["batch.closed"] == closed.headers["X-Request-Id"]
    assert ids["payment.succeeded"] not in (ids["refund.succeeded"], ids["batch.closed"], None)


def test_an_event_of_a_background_job_names_no_request(app, api):
    from app.core import clock
    from tests.support.payment_codes import customer

    machine = make_terminal(api, kind="vending")
    held = machine.post("/api/v1/pos/authorizations", {"payment_code": customer(api, balance=2000).code(),
                                                       "amount": 500})
    assert held.status_code == 201, held.json
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)
    assert "expired 1 hold" in app.test_cli_runner().invoke(args=["ledger", "expire-holds"]).output

    assert _request_ids(app) == {"authorization.expired": None}

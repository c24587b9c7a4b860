"""A terminal's manual-capture request and an order's code, paid by qr_pay in one call
(app/checkout/qr_payments/qr_pay.sql): two payers racing for one order, retries that get the first
answer and move the money once, and a refused payment that writes nothing."""
from __future__ import annotations

import json
import threading
import uuid

from sqlalchemy import text

from app.extensions import db
from tests.support.ledger import written
from tests.support.merchant_server import make_order, make_server
from tests.support.qr import merchant_balance, pay
from tests.support.terminals import make_terminal

ROUNDS = 5


def events(app, merchant_id: str, type: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(text("SELECT data FROM webhook_events WHERE merchant_id = :m AND type = :t"),
                                  {"m": merchant_id, "t": type}).scalars().all()
    return [json.loads(row) for row in rows]


def test_two_payers_racing_for_one_order_pay_it_once(app, api):
    _, merchant, server = make_server(app, api)
    for _ in range(ROUNDS):
        # given an order of 10.00 and two customers with 50.00 each
        order = make_order(server, amount=1000)
        payers = [api.person(balance=5000) for _ in range(2)]
        barrier = threading.Barrier(2)
        answers: list = [None, None]

        def one(i: int) -> None:
            barrier.wait(timeout=30)
            answers[i] = pay(api.__class__(app, app.test_client()), payers[i], order["payload"],
                             key=str(uuid.uuid4()))

        # when both pay its code at the same moment
        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        # then one pays, the other is told it is paid, and the order names the one payment
        assert sorted((r.status_code, (r.json.get("error") or {}).get("code")) for r in answers) == [
            (201, None), (409, "qr_already_paid")], [r.json for r in answers]
        [paid] = [r for r in answers if r.status_code == 201]
        now = server.get(f"/orders/{order['id']}").json
        assert (now["status"], now["transaction_id"]) == ("paid", paid.json["id"])
        assert sorted(api.wallet(p)["balance"] for p in payers) == [4000, 5000]
    assert merchant_balance(app, merchant["id"]) == ROUNDS * 1000
    assert len(events(app, merchant["id"], "order.paid")) == ROUNDS
    assert api.verify_ledger() == []


def test_a_retried_order_payment_gets_the_first_answer_and_pays_once(app, api):
    _, merchant, server = make_server(app, api)
    order = make_order(server, amount=1000, reference="ORDER-LONG-REFERENCE-0042-ABCDEFGHIJ")
    payer = api.person(balance=5000)

    first = pay(api, payer, order["payload"], key="order-pay-1")
    again = pay(api, payer, order["payload"], key="order-pay-1")

    assert first.status_code == 201, first.json
    assert (again.status_code, again.json) == (201, first.json)
    assert first.json["reference"] == "ORDER-LONG-REFERENCE-0042-ABCDEFGHIJ"  # the order's, not the code's
    assert api.wallet(payer)["balance"] == 4000
    [paid_event] = events(app, merchant["id"], "order.paid")
    assert paid_event == server.get(f"/orders/{order['id']}").json  # the order as the API shows it
    [payment] = events(app, merchant["id"], "payment.succeeded")
    assert (payment["order_id"], payment["transaction_id"]) == (order["id"], first.json["id"])


def test_a_refused_order_payment_writes_nothing(app, api):
    _, _, server = make_server(app, api)
    order = make_order(server, amount=1000)
    payer = api.person(balance=500)
    before = written(app)

    refused = pay(api, payer, order["payload"], key="too-poor")

    assert (refused.status_code, refused.json["error"]["code"]) == (402, "insufficient_funds"), refused.json
    assert pay(api, payer, order["payload"], key="too-poor").json == refused.json
    assert written(app) == before
    assert server.get(f"/orders/{order['id']}").json["status"] == "pending"


def test_a_retried_manual_capture_payment_holds_the_money_once(app, api):
    terminal = make_terminal(api)
    payer = api.person(balance=5000)
    request = terminal.post("/api/v1/pos/payment-requests", json={"amount": 1250, "currency": "USD",
                                                                  "reference": "T1-7", "capture": "manual"}).json

    first = pay(api, payer, request["payload"], key="hold-1")
    again = pay(api, payer, request["payload"], key="hold-1")

    assert (first.status_code, first.json["status"]) == (201, "authorized"), first.json
    assert (again.status_code, again.json) == (201, first.json)
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["available"]) == (5000, 3750)
    read = terminal.get(f"/api/v1/pos/payment-requests/{request['id']}").json
    assert (read["status"], read["transaction_id"]) == ("authorized", first.json["id"])
    assert events(app, terminal.merchant_id, "payment.succeeded") == []  # a hold is not a payment yet
    assert api.verify_ledger() == []

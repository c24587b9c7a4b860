"""A terminal's automatic-capture payment request paid in the app is one call to qr_pay
(app/checkout/qr_payments/qr_pay.sql): booked to the terminal and its batch, its event names the
terminal, the waiting terminal is woken, a retry gets the first answer, a refusal writes nothing."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.merchant.webhooks.models import WebhookEvent
from app.qr.models import QrCode
from tests.support.ledger import written
from tests.support.qr import merchant_balance, pay
from tests.support.terminals import make_terminal

REQUESTS = "/api/v1/pos/payment-requests"


def present(terminal, amount: int) -> dict:
    response = terminal.post(REQUESTS, {"amount": amount, "currency": "USD", "reference": "T1-0042"})
    assert response.status_code == 201, response.json
    return response.json


def test_a_paid_request_is_booked_to_its_terminal_and_a_retry_pays_once(app, api, monkeypatch):
    # given a terminal's request for 12.50, a customer, and the notifier watched
    terminal = make_terminal(api)
    payer = api.person(balance=5000)
    request = present(terminal, 1250)
    from app.checkout.qr_payments import services
    published: list[str] = []
    real = services.get_notifier
    monkeypatch.setattr(services, "get_notifier", lambda: type("N", (), {
        "publish": lambda _self, channel: (published.append(channel), real().publish(channel))})())

    # when the customer pays it, then sends the same payment again
    first = pay(api, payer, request["payload"], key="pay-1")
    again = pay(api, payer, request["payload"], key="pay-1")

    # then one payment, booked to the terminal, and the retry gets its answer
    assert first.status_code == 201, first.json
    assert (again.status_code, again.json) == (201, first.json)
    assert api.wallet(payer)["balance"] == 3750 and merchant_balance(app, terminal.merchant_id) == 1250
    assert f"qr:{request['id']}" in published  # the waiting terminal is woken after the commit
    read = terminal.get(f"{REQUESTS}/{request['id']}").json
    assert (read["status"], read["transaction_id"]) == ("succeeded", first.json["id"])
    with app.app_context():
        event = db.session.execute(select(WebhookEvent).filter_by(merchant_id=terminal.merchant_id,
                                                                  type="payment.succeeded")).scalar_one()
        data = json.loads(event.data)
    assert (data["transaction_id"], data["terminal_id"], data["amount"]) == (first.json["id"], terminal.terminal_id, 1250)
    closed = terminal.post("/api/v1/pos/batches/close")
    assert closed.status_code == 201, closed.json
    assert closed.json["count"] == 1 and closed.json["totals"]["USD"]["sales"] == 1250, closed.json
    assert api.verify_ledger() == []


def test_a_refused_request_payment_writes_nothing_and_the_request_stays_pending(app, api):
    # given a terminal's request for 50.00 and a customer with 10.00
    terminal = make_terminal(api)
    payer = api.person(balance=1000)
    request = present(terminal, 5000)
    before = written(app)

    # when the customer tries to pay it
    response = pay(api, payer, request["payload"], key="pay-short")

    # then it is refused, nothing moved, and the terminal still waits for a payment
    assert (response.status_code, response.json["error"]["code"]) == (402, "insufficient_funds")
    assert written(app) == before
    with app.app_context():
        assert db.session.get(QrCode, request["id"]).status == "active"
    assert terminal.get(f"{REQUESTS}/{request['id']}").json["status"] == "pending"

"""Payment webhooks carry `fee`: the merchant's fee on the payment (payment.succeeded, a vending
capture's authorization.captured), or what a refund or reversal gave back of it (refund.succeeded),
each equal to what the ledger recorded on that transaction (transactions.fee)."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from app.extensions import db
from app.merchant.webhooks.models import WebhookEvent
from tests.support.fees import recorded_fee, set_merchant_fee
from tests.support.merchant_server import make_order, make_server, refund_order
from tests.support.offline import make_offline_till
from tests.support.offline import pay as pay_offline
from tests.support.payment_codes import charge, charged, customer, phone_of, set_pin
from tests.support.qr import make_code, pay
from tests.support.terminals import make_terminal, refund_charge


def events(app, merchant_id: str, type_: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(WebhookEvent.data).where(WebhookEvent.merchant_id == merchant_id,
                                                                  WebhookEvent.type == type_)
                                  .order_by(WebhookEvent.created_at, WebhookEvent.id)).scalars()
        return [json.loads(data) for data in rows]


def event_of(app, merchant_id: str, type_: str, **match) -> dict:
    found = [e for e in events(app, merchant_id, type_) if all(e.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (type_, match, found)
    return found[0]


def test_payment_and_refund_events_say_the_fee_the_ledger_recorded(app, api):
    # given a shop with a 2% fee (at least 0.25) that gives fees back on refunds, and a customer
    owner = api.person(name="Owner")
    terminal = make_terminal(api, owner=owner)
    merchant_id = terminal.merchant_id
    set_merchant_fee(app, merchant_id, 200, 25, refund_returns_fee=True)
    alice = api.person(name="Alice Dupont", balance=60_000)
    set_pin(api, alice)
    phone = phone_of(api, alice)

    # a QR payment (qr_pay): 2% of 10.00 is 0.20, the minimum makes it 0.25
    code = make_code(api, owner, {"id": merchant_id, "currency": "USD"}, kind="static")
    paid = pay(api, alice, code["payload"], amount=1000, key=str(uuid.uuid4()))
    assert paid.status_code == 201 and paid.json["fee"] == 25
    assert event_of(app, merchant_id, "payment.succeeded", id=paid.json["id"])["fee"] == 25

    # a till's charge (pos_charge), refunded in part (pos_refund: 2,000 of 5,000 gives back 40 of 100)
    sale = charged(terminal, phone, 5000)
    assert event_of(app, merchant_id, "payment.succeeded", charge_id=sale["id"])["fee"] == 100
    refund = refund_charge(terminal, sale["id"], 2000)
    assert refund.status_code == 201 and refund.json["fee_returned"] == 40
    assert event_of(app, merchant_id, "refund.succeeded", refund_id=refund.json["id"])["fee"] == 40
    assert recorded_fee(app, refund.json["id"]) == 40

    # a large charge the customer confirms (charge_confirm)
    large = charge(terminal, phone.code(), 15_000)
    assert large.json["status"] == "requires_confirmation"
    confirmed = api.post(f"/api/v1/payments/{large.json['id']}/confirm", alice, json={"pin": "482913"})
    assert confirmed.status_code == 200, confirmed.json
    event = event_of(app, merchant_id, "payment.succeeded", charge_id=large.json["id"])
    assert event["fee"] == 300 == recorded_fee(app, confirmed.json["transaction_id"])

    # a reversal (pos_reverse) gives the whole fee back
    undone = charged(terminal, phone, 700)
    reversed_ = terminal.post(f"/api/v1/pos/charges/{undone['id']}/reverse", key=str(uuid.uuid4()))
    assert reversed_.status_code == 200, reversed_.json
    event = event_of(app, merchant_id, "refund.succeeded", charge_id=undone["id"])
    assert event["reversal"] is True and event["fee"] == 25


def test_an_order_refund_an_offline_code_and_a_vending_capture_say_their_fee(app, api):
    # an order paid and refunded in full (order_refund): the whole fee comes back
    _, merchant, server = make_server(app, api)
    set_merchant_fee(app, merchant["id"], 150, 0, refund_returns_fee=True)
    buyer = api.person(name="Carol", balance=20_000)
    order = make_order(server, amount=2000)
    assert pay(api, buyer, order["payload"]).status_code == 201
    assert event_of(app, merchant["id"], "payment.succeeded", order_id=order["id"])["fee"] == 30
    refunded = refund_order(server, order["id"], 2000)
    assert refunded.status_code == 201, refunded.json
    assert event_of(app, merchant["id"], "refund.succeeded", order_id=order["id"])["fee"] == 30

    # a refund that keeps the fee (the merchant's setting) says 0
    set_merchant_fee(app, merchant["id"], 150, 0, refund_returns_fee=False)
    kept = make_order(server, amount=1000)
    assert pay(api, buyer, kept["payload"]).status_code == 201
    assert refund_order(server, kept["id"], 500).status_code == 201  # it kept 985 of 1,000
    assert event_of(app, merchant["id"], "refund.succeeded", order_id=kept["id"])["fee"] == 0

    # an offline code paid in the app (offline_pay)
    till = make_offline_till(api)
    set_merchant_fee(app, till.terminal.merchant_id, 100, 0)
    offline = pay_offline(api, buyer, till.code(450).payload)
    assert offline.status_code == 201 and offline.json["fee"] == 5
    assert event_of(app, till.terminal.merchant_id, "payment.succeeded", id=offline.json["id"])["fee"] == 5

    # a vending machine's capture (authorization.captured): the fee on what was captured
    machine = make_terminal(api, kind="vending", label="Snacks")
    set_merchant_fee(app, machine.merchant_id, 200, 0)
    held = machine.post("/api/v1/pos/authorizations", {"amount": 800, "payment_code": customer(
        api, balance=2000).code()}, key=str(uuid.uuid4()))
    assert held.status_code == 201, held.json
    captured = machine.post(f"/api/v1/pos/authorizations/{held.json['id']}/capture", {"amount": 550},
                            key=str(uuid.uuid4()))
    assert captured.status_code == 200, captured.json
    event = event_of(app, machine.merchant_id, "authorization.captured", authorization_id=held.json["id"])
    assert (event["amount"], event["fee"]) == (550, 11)

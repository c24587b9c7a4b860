"""Terminal reversals as one database call (pos_give_back, app/pos/charges/pos_refund.sql): a reversal racing
refunds of the same charge, a retried reversal, and a refused one that leaves no trace but its
stored answer."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from app.core import clock
from app.extensions import db
from tests.support.ledger import written
from tests.support.payment_codes import balance
from tests.support.qr import merchant_balance
from tests.support.races import ROUNDS, together
from tests.support.terminals import refund_charge as refund, shop_with_sale


def reverse(terminal, charge_id: str, *, key: str | None = None):
    return terminal.post(f"/api/v1/pos/charges/{charge_id}/reverse", key=key or str(uuid.uuid4()))


def charge_row(app, charge_id: str) -> tuple:
    with app.app_context():
        return tuple(db.session.execute(text("SELECT status, refunded_amount FROM pos_charges WHERE id = :id"),
                                        {"id": charge_id}).one())


def test_a_reversal_racing_refunds_of_the_same_charge_returns_at_most_the_charge(app, api):
    for _ in range(ROUNDS):
        # given a sale of 10.00 by a customer who started with 50.00
        terminal, alice, sale = shop_with_sale(api, 1000, money=5000)
        path = f"/api/v1/pos/charges/{sale['id']}"

        # when a reversal and four refunds of 3.00 arrive at the same moment
        calls = [(f"{path}/reverse", None, str(uuid.uuid4()))]
        calls += [(f"{path}/refunds", {"amount": 300}, str(uuid.uuid4())) for _ in range(4)]
        reversal, *refunds = together(app, terminal, calls)

        # then the reversal passes and gave back exactly what the refunds before it left
        assert reversal.status_code == 200 and reversal.json["status"] == "reversed", reversal.json
        refunded = sum(300 for r in refunds if r.status_code == 201)
        # (a refund after the reversal finds it reversed; the fourth before it finds 1.00 left)
        assert {r.json["error"]["code"] for r in refunds if r.status_code != 201} <= {
            "not_refundable", "refund_exceeds_remaining"}, \
            [r.json for r in refunds]
        assert reversal.json["refunded_amount"] == refunded <= 900
        assert charge_row(app, sale["id"]) == ("reversed", refunded)

        # and the money is exact: the customer has the whole charge back, the merchant nothing
        assert balance(api, alice) == 5000
        assert merchant_balance(app, terminal.merchant_id) == 0
    assert api.verify_ledger() == []


def test_a_retried_reversal_gets_the_first_answer_and_gives_back_once(app, api):
    # given a sale of 10.00 refunded by 2.00, reversed under a key
    terminal, alice, sale = shop_with_sale(api, 1000, money=5000)
    assert refund(terminal, sale["id"], 200).status_code == 201
    first = reverse(terminal, sale["id"], key="reverse-1")
    assert (first.status_code, first.json["status"]) == (200, "reversed"), first.json

    # when the till sends it again
    again = reverse(terminal, sale["id"], key="reverse-1")

    # then it gets the first answer and the money moved once: 8.00 back by the reversal
    assert (again.status_code, again.json) == (200, first.json)
    assert balance(api, alice) == 5000
    with app.app_context():
        [event] = db.session.execute(text(
            "SELECT data FROM webhook_events WHERE type = 'refund.succeeded' AND data::jsonb ->> 'reversal' = 'true' "
            "AND data::jsonb ->> 'charge_id' = :id"), {"id": sale["id"]}).scalars().all()
    data = json.loads(event)
    assert (data["amount"], data["refunded_total"], data["charged_amount"]) == (800, 200, 1000)

    # and the same key for another charge is a conflict
    _, _, other = shop_with_sale(api, 500, money=5000)
    conflict = reverse(terminal, other["id"], key="reverse-1")
    assert (conflict.status_code, conflict.json["error"]["code"]) == (409, "idempotency_conflict")


def test_a_refused_reversal_writes_nothing_but_its_stored_answer(app, api):
    # given a sale whose reversal window has closed
    terminal, _, sale = shop_with_sale(api, 1000, money=5000)
    window = app.config["REVERSAL_WINDOW"]
    clock.advance(window)
    before = written(app)

    # when the till reverses it under a key, and again
    refused = reverse(terminal, sale["id"], key="late")
    again = reverse(terminal, sale["id"], key="late")

    # then it is refused, the same way twice, and nothing was written
    assert (refused.status_code, refused.json["error"]) == (409, {
        "code": "reversal_window_closed", "message": f"a charge can be reversed for {window} s; refund it instead",
        "details": {"reversal_window": window}})
    assert again.json == refused.json
    assert written(app) == before
    assert charge_row(app, sale["id"]) == ("succeeded", 0)

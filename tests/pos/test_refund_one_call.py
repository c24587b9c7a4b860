"""Terminal refunds as one database call (pos_give_back, app/pos/charges/pos_refund.sql): many refunds of one
charge at once, a retried refund, a merchant whose money sits in its credit buckets, and a refused
refund that leaves no trace but its stored answer."""
from __future__ import annotations

import uuid

from sqlalchemy import select, text

from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.services import merchant_account
from app.wallet import ledger
from app.wallet.models import Transaction
from tests.support.ledger import written
from tests.support.payment_codes import balance
from tests.support.qr import merchant_balance
from tests.support.races import together
from tests.support.terminals import refund_charge as refund, shop_with_sale

THREADS = 10


def refunded_amount(terminal, charge_id: str) -> int:
    return terminal.get(f"/api/v1/pos/charges/{charge_id}").json["refunded_amount"]


def test_ten_refunds_of_one_charge_at_once_give_back_at_most_the_charge(app, api):
    # given a sale of 10.00 by a customer who started with 50.00
    terminal, alice, sale = shop_with_sale(api, 1000, money=5000)

    # when ten tills' refunds of 1.50 each (15.00 in all) arrive at the same moment
    path = f"/api/v1/pos/charges/{sale['id']}/refunds"
    responses = together(app, terminal, [(path, {"amount": 150}, str(uuid.uuid4())) for _ in range(THREADS)])

    # then six pass (9.00) and four are told that 1.00 is left: never more than the charge
    passed = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(passed) == 6, [r.json for r in responses]
    assert {(r.status_code, r.json["error"]["code"]) for r in refused} == {(422, "refund_exceeds_remaining")}
    assert all(r.json["error"]["details"] == {"remaining": 100, "requested": 150} for r in refused)
    # each saw what the ones before it took: the running totals are 1.50, 3.00, ... 9.00
    assert sorted(r.json["refunded_total"] for r in passed) == [150 * n for n in range(1, 7)]

    # and the money is exact to the cent, on the charge, the wallet, the merchant and the ledger
    assert refunded_amount(terminal, sale["id"]) == 900
    assert balance(api, alice) == 5000 - 1000 + 900
    assert merchant_balance(app, terminal.merchant_id) == 100
    assert api.verify_ledger() == []


def test_a_retried_refund_gets_the_first_answer_and_gives_back_once(app, api):
    # given a sale of 10.00 refunded by 3.00 under a key
    terminal, alice, sale = shop_with_sale(api, 1000, money=5000)
    first = refund(terminal, sale["id"], 300, key="refund-1")
    assert first.status_code == 201, first.json

    # when the till sends it again, and once more after another refund changed the charge
    again = refund(terminal, sale["id"], 300, key="refund-1")
    assert refund(terminal, sale["id"], 200).status_code == 201
    later = refund(terminal, sale["id"], 300, key="refund-1")

    # then it gets the first answer each time and the money moved once
    assert (again.status_code, again.json) == (201, first.json)
    assert (later.status_code, later.json) == (201, first.json)
    assert refunded_amount(terminal, sale["id"]) == 500
    assert balance(api, alice) == 5000 - 1000 + 500

    # and the same key with another amount is a conflict, not a refund
    other = refund(terminal, sale["id"], 100, key="refund-1")
    assert (other.status_code, other.json["error"]["code"]) == (409, "idempotency_conflict")

    # and a refused refund's retry is refused the same way, though it would pass now
    too_much = refund(terminal, sale["id"], 600, key="refund-2")  # 5.00 left
    assert (too_much.status_code, too_much.json["error"]["code"]) == (422, "refund_exceeds_remaining")
    assert refund(terminal, sale["id"], 400).status_code == 201  # 1.00 left
    assert refund(terminal, sale["id"], 600, key="refund-2").json == too_much.json
    assert refunded_amount(terminal, sale["id"]) == 900


def test_a_merchant_whose_money_sits_in_its_credit_buckets_can_refund(app, api):
    # given a sale: the payment landed in one of the merchant account's credit buckets
    terminal, alice, sale = shop_with_sale(api, 1000, money=5000)
    with app.app_context():
        till = merchant_account(terminal.merchant_id, "USD").id
        parent, *buckets = ledger.with_buckets(till)
        assert parent.balance == 0 and sum(b.balance for b in buckets) == 1000

    # when the till refunds 6.00, more than the account itself holds
    response = refund(terminal, sale["id"], 600)

    # then the buckets are swept into the account and the refund passes
    assert response.status_code == 201, response.json
    with app.app_context():
        parent, *buckets = ledger.with_buckets(till)
        assert (parent.balance, sum(b.balance for b in buckets)) == (400, 0)
        sweeps = db.session.execute(select(Transaction).filter_by(type="bucket_sweep",
                                                                  related_id=response.json["id"])).scalars().all()
        assert sum(s.amount for s in sweeps) == 1000
    assert balance(api, alice) == 4600 and merchant_balance(app, terminal.merchant_id) == 400
    assert api.verify_ledger() == []


def _pay_out(app, merchant_id: str, amount: int) -> None:
    """Money leaving the merchant by another road than refunds (a payout): the merchant account
    to the top-up float, through ledger_post (which sweeps the buckets as a refund would)."""
    with app.app_context(), unit_of_work() as uow:
        till = merchant_account(merchant_id, "USD").id
        out = ledger.system_account(ledger.TOPUP_FLOAT, "USD").id
        txn = ledger.new_transaction(type="payout", status="succeeded", amount=amount, currency="USD",
                                     debit_id=till, credit_id=out)
        ledger.record_transfer(txn, kind="posted", debit_id=till, credit_id=out, amount=amount)
        uow.commit()


def test_a_refused_refund_writes_nothing_but_its_stored_answer(app, api):
    # given a sale of 10.00, of which 9.50 has left the merchant (its buckets swept to pay it)
    terminal, _, sale = shop_with_sale(api, 1000, money=5000)
    _pay_out(app, terminal.merchant_id, 950)
    _, _, others = shop_with_sale(api, 1000, money=5000)
    before = written(app)

    # when refunds are refused: more than the charge, more than the merchant holds (after
    # ledger_post would have swept its buckets), another terminal's charge
    keyless = terminal.post(f"/api/v1/pos/charges/{sale['id']}/refunds", {"amount": 1001})
    exceeds = refund(terminal, sale["id"], 1001, key="r-exceeds")
    short = refund(terminal, sale["id"], 100, key="r-short")
    foreign = refund(terminal, others["id"], 100, key="r-foreign")

    # then nothing was written: no transaction, transfer, entry, sweep or event, no balance and
    # no charge changed; only the refusals, under their keys
    assert written(app) == before
    # and each is refused with its code
    assert (keyless.status_code, keyless.json["error"]["code"]) == (422, "refund_exceeds_remaining")
    assert (exceeds.status_code, exceeds.json["error"]["code"]) == (422, "refund_exceeds_remaining")
    assert (short.status_code, short.json["error"]["code"]) == (402, "insufficient_funds")
    assert (foreign.status_code, foreign.json["error"]["code"]) == (404, "not_found")
    with app.app_context():
        stored = db.session.execute(text("SELECT key, status_code FROM idempotency_records WHERE scope = :terminal "
                                         "ORDER BY key"), {"terminal": terminal.terminal_id}).all()
    assert [tuple(row) for row in stored] == [("r-exceeds", 422), ("r-foreign", 404), ("r-short", 402)]
    assert api.verify_ledger() == []

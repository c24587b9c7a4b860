"""Giving money back for a terminal's charge: refunds (partial, full, never more) and reversals."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.core import clock
from tests.support.payment_codes import PIN, balance, charge, charged, phone_of, set_pin
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal

LARGE = 15_000


def refund(terminal, charge_id: str, amount, *, key: str | None = None):
    return terminal.post(f"/api/v1/pos/charges/{charge_id}/refunds", {"amount": amount},
                         key=key or str(uuid.uuid4()))


def reverse(terminal, charge_id: str, *, key: str | None = None):
    return terminal.post(f"/api/v1/pos/charges/{charge_id}/reverse", key=key)


def shop_with_sale(api, amount: int = 1000, *, money: int = 5000):
    """A terminal, a customer who started with `money`, and a succeeded charge of `amount`."""
    terminal = make_terminal(api)
    alice = api.person(name="Alice Dupont", balance=money)
    return terminal, alice, charged(terminal, phone_of(api, alice), amount)


def transactions_of(app, **filters) -> list:
    from app.extensions import db
    from app.wallet.models import Transaction
    with app.app_context():
        rows = db.session.execute(select(Transaction).filter_by(**filters)).scalars().all()
        db.session.expunge_all()
        return rows


# --- refunds ----------------------------------------------------------------------------------

def test_a_partial_then_a_full_refund_give_back_exactly_what_was_charged(app, api):
    # given a sale of 10.00
    terminal, alice, sale = shop_with_sale(api)

    # when the till refunds 3.00, then the 7.00 left
    first = refund(terminal, sale["id"], 300)
    second = refund(terminal, sale["id"], 700)

    # then each is a refund transaction, and the totals add up to the sale
    assert first.status_code == 201, first.json
    assert first.json["id"].startswith("txn_") and first.json["charge_id"] == sale["id"]
    assert (first.json["amount"], first.json["currency"], first.json["status"]) == (300, "USD", "succeeded")
    assert (first.json["refunded_total"], first.json["remaining"]) == (300, 700)
    assert second.status_code == 201 and (second.json["refunded_total"], second.json["remaining"]) == (1000, 0)
    assert balance(api, alice) == 5000 and merchant_balance(app, terminal.merchant_id) == 0
    assert terminal.get(f"/api/v1/pos/charges/{sale['id']}").json["refunded_amount"] == 1000
    assert api.verify_ledger() == []


def test_a_refund_above_what_is_left_is_refused_and_changes_nothing(app, api):
    terminal, alice, sale = shop_with_sale(api)
    assert refund(terminal, sale["id"], 600).status_code == 201

    refused = refund(terminal, sale["id"], 401)

    assert refused.status_code == 422 and refused.json["error"]["code"] == "refund_exceeds_remaining"
    assert refused.json["error"]["details"] == {"remaining": 400, "requested": 401}
    assert balance(api, alice) == 4600 and merchant_balance(app, terminal.merchant_id) == 400


def test_a_retried_refund_gives_back_once(api):
    terminal, alice, sale = shop_with_sale(api)
    key = str(uuid.uuid4())

    first = refund(terminal, sale["id"], 300, key=key)
    retry = refund(terminal, sale["id"], 300, key=key)

    assert first.status_code == 201 and (retry.status_code, retry.json) == (201, first.json)
    assert balance(api, alice) == 4300


def test_a_refund_shows_in_the_customers_history_and_the_merchants_ledger(app, api):
    # given a sale and a refund of part of it
    terminal, alice, sale = shop_with_sale(api)
    made = refund(terminal, sale["id"], 300).json

    # when the customer reads their history
    history = api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions", alice).json["data"]

    # then the refund is the newest row, positive, from the merchant, tied to the payment
    newest = history[0]
    assert (newest["id"], newest["type"], newest["amount"]) == (made["id"], "refund", 300)
    assert newest["counterparty"]["type"] == "merchant" and newest["counterparty"]["name"] == "Café Zürich"
    assert history[1]["type"] == "payment" and history[1]["amount"] == -1000
    [txn] = transactions_of(app, id=made["id"])
    assert (txn.related_id, txn.terminal_id) == (sale["transaction_id"], terminal.terminal_id)
    # and the merchant account's own entries show it leaving
    from app.extensions import db
    from app.merchant.services import merchant_account
    from app.wallet.models import Entry
    from app.wallet.ledger import with_buckets
    from app.wallet.models import Transaction
    with app.app_context():
        accounts = [a.id for a in with_buckets(merchant_account(terminal.merchant_id, "USD").id)]
        # (its credit buckets' sweeps into the account itself move nothing out of the merchant)
        entries = db.session.execute(select(Entry.transaction_id, Entry.amount)
                                     .join(Transaction, Transaction.id == Entry.transaction_id)
                                     .where(Entry.account_id.in_(accounts), Transaction.type != "bucket_sweep")
                                     .order_by(Entry.created_at, Entry.amount.desc())).all()
    assert [tuple(e) for e in entries] == [(sale["transaction_id"], 1000), (made["id"], -300)]


def test_only_a_succeeded_charge_can_be_refunded(api):
    # given a refused charge and one still waiting for the customer
    terminal = make_terminal(api)
    alice = api.person(balance=50_000)
    phone = phone_of(api, alice)
    used = phone.code()
    assert charge(terminal, used, 100).status_code == 201
    failed_id = charge(terminal, used, 100).json["error"]["details"]["charge_id"]
    waiting = charged(terminal, phone, LARGE)

    # when the till tries to refund them
    refunds = [refund(terminal, failed_id, 100), refund(terminal, waiting["id"], 100)]

    # then neither is refundable
    assert [(r.status_code, r.json["error"]["code"]) for r in refunds] == [(409, "not_refundable")] * 2
    assert refunds[0].json["error"]["details"]["status"] == "failed"
    assert balance(api, alice) == 49_900


def test_another_terminal_cannot_refund_or_reverse_a_charge(api):
    terminal, alice, sale = shop_with_sale(api)
    stranger = make_terminal(api)

    refunded = refund(stranger, sale["id"], 100)
    reversed_ = reverse(stranger, sale["id"])

    assert refunded.status_code == 404 and reversed_.status_code == 404
    assert balance(api, alice) == 4000


# --- reversals ----------------------------------------------------------------------------------

def test_a_reversal_within_the_window_gives_back_what_was_not_refunded(app, api):
    # given a sale of 10.00 of which 2.00 were refunded
    terminal, alice, sale = shop_with_sale(api)
    assert refund(terminal, sale["id"], 200).status_code == 201

    # when the till reverses the sale, and then again
    reversed_ = reverse(terminal, sale["id"], key=str(uuid.uuid4()))
    again = reverse(terminal, sale["id"])

    # then the remaining 8.00 went back once, and the charge reads reversed
    assert reversed_.status_code == 200 and reversed_.json["status"] == "reversed"
    assert again.status_code == 200 and again.json == reversed_.json
    assert balance(api, alice) == 5000 and merchant_balance(app, terminal.merchant_id) == 0
    [txn] = transactions_of(app, type="reversal")
    assert (txn.amount, txn.related_id, txn.terminal_id) == (800, sale["transaction_id"], terminal.terminal_id)
    assert refund(terminal, sale["id"], 1).json["error"]["code"] == "not_refundable"
    assert api.verify_ledger() == []


def test_a_reversal_after_the_window_is_refused(app, api):
    terminal, alice, sale = shop_with_sale(api)
    clock.advance(app.config["REVERSAL_WINDOW"] + 1)

    refused = reverse(terminal, sale["id"])

    assert refused.status_code == 409 and refused.json["error"]["code"] == "reversal_window_closed"
    assert balance(api, alice) == 4000
    # a refund is still possible
    assert refund(terminal, sale["id"], 1000).status_code == 201


def test_reversing_a_charge_that_waits_for_the_customer_ends_it_without_money(api):
    # given a large charge the customer has not approved yet
    terminal = make_terminal(api)
    alice = api.person(balance=50_000)
    set_pin(api, alice)
    waiting = charged(terminal, phone_of(api, alice), LARGE)

    # when the till reverses it
    reversed_ = reverse(terminal, waiting["id"])

    # then it is reversed, no money moved, and the customer can no longer approve it
    assert reversed_.status_code == 200 and reversed_.json["status"] == "reversed"
    confirmed = api.post(f"/api/v1/payments/{waiting['id']}/confirm", alice, json={"pin": PIN})
    assert confirmed.status_code == 409 and confirmed.json["error"]["code"] == "charge_not_pending"
    assert balance(api, alice) == 50_000 and transactions_of(api.app, type="reversal") == []


def test_reversing_a_failed_charge_returns_it_as_it_is(api):
    terminal = make_terminal(api)
    alice = api.person(balance=100)
    failed_id = charge(terminal, phone_of(api, alice).code(), 500).json["error"]["details"]["charge_id"]

    response = reverse(terminal, failed_id)

    assert response.status_code == 200
    assert (response.json["status"], response.json["failure_code"]) == ("failed", "insufficient_funds")

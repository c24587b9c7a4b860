"""Case 3: a purse's debt (an overspend the empty wallet could not pay, paid to the merchant by
the offline_receivable account) is collected from the next money that comes into the wallet or
is freed on it, inside the posting that brings it, as a ledger transfer of its own shown in
history; never more than is owed and never below zero, also with many payments in at once."""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from app.core import clock
from app.extensions import db
from app.pos.purse.services import release_due
from app.wallet.models import Account, WalletDebt
from tests.support.purse import Phone, purses_path, upload
from tests.support.terminals import make_terminal, refund_charge, shop_with_sale


def _owe(api, payer, owed: int, allowance: int = 1_000) -> Phone:
    """The payer's available money all in a purse of `allowance`; a reset phone spends it at one
    terminal, then `owed` more at another: the second is paid by the receivable."""
    phone = Phone(payer)
    assert phone.take_purse(api, allowance).status_code == 201
    assert api.wallet(payer)["available"] == 0
    till_a, till_b = make_terminal(api), make_terminal(api)
    upload(till_a, phone.record(phone.token(till_a.terminal_id, allowance, counter=1)))
    [second] = upload(till_b, phone.record(phone.token(till_b.terminal_id, owed, counter=1)))
    assert second["overspend"] is True
    assert api.get(f"{purses_path(payer)}/{phone.certificate['purse_id']}", payer).json["debt"] == owed
    return phone


def _receivable(app) -> int:
    with app.app_context():
        account = db.session.execute(select(Account).filter_by(code="offline_receivable", currency="USD")).scalar_one()
        return account.credits_posted - account.debits_posted


def _debt(app, payer) -> tuple[int, int]:
    with app.app_context():
        debt = db.session.get(WalletDebt, payer.wallet_id)
        return debt.owed, debt.collected


def _zero_sum(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.sum(Account.credits_posted - Account.debits_posted))
                                  .where(Account.currency == "USD")).scalar_one()


def test_a_top_up_pays_the_debt_first_as_far_as_it_goes_and_history_shows_it(app, api):
    payer = api.person(name="Customer", balance=1_000)
    phone = _owe(api, payer, 700)
    assert _receivable(app) == -700

    api.topup(payer, 500)
    assert (api.wallet(payer)["balance"], _debt(app, payer), _receivable(app)) == (0, (700, 500), -200)
    purse = api.get(f"{purses_path(payer)}/{phone.certificate['purse_id']}", payer).json
    assert (purse["debt"], purse["wallet_debt"]) == (700, 200)  # recorded, and still owed
    api.topup(payer, 500)
    assert (api.wallet(payer)["balance"], _debt(app, payer), _receivable(app)) == (300, (700, 700), 0)
    api.topup(payer, 100)
    assert (api.wallet(payer)["balance"], _debt(app, payer)) == (400, (700, 700))  # paid: nothing more taken

    history = api.get(f"/api/v1/wallets/{payer.wallet_id}/transactions", payer).json["data"]
    collections = [(h["type"], h["amount"], h["counterparty"]["name"]) for h in history if h["type"] == "debt_collection"]
    assert collections == [("debt_collection", -200, "Offline purse debt"), ("debt_collection", -500, "Offline purse debt")]
    assert _zero_sum(app) == 0 and api.verify_ledger() == []


def test_an_incoming_transfer_and_a_refund_pay_it_too(app, api):
    terminal, payer, sale = shop_with_sale(api, 1_000, money=2_000)
    _owe(api, payer, 600)
    friend = api.person(name="Friend", balance=5_000)

    assert api.transfer(friend, payer.wallet_id, 250).status_code == 201
    assert (api.wallet(payer)["balance"], _debt(app, payer)) == (0, (600, 250))
    assert refund_charge(terminal, sale["id"], 1_000).status_code == 201
    assert (api.wallet(payer)["balance"], _debt(app, payer), _receivable(app)) == (650, (600, 600), 0)
    assert api.wallet(friend)["balance"] == 4_750  # the sender pays the transfer, not the debt
    assert _zero_sum(app) == 0 and api.verify_ledger() == []


def test_money_freed_by_a_released_hold_pays_it(app, api):
    payer = api.person(name="Customer", balance=1_500)
    other = Phone(payer)
    assert other.take_purse(api, 500).status_code == 201  # a second purse, taken before the overspend
    _owe(api, payer, 300)
    assert api.post(f"{purses_path(payer)}/{other.certificate['purse_id']}/close", payer).status_code == 200

    clock.advance(app.config["OFFLINE_PURSE_GRACE_HOURS"] * 3600 + 60)
    with app.app_context():
        assert release_due() == 1

    with app.app_context():  # read directly: the payer's access token has expired meanwhile
        wallet = db.session.get(Account, payer.wallet_id)
        assert (wallet.credits_posted - wallet.debits_posted, wallet.debits_pending) == (200, 0)
    assert _debt(app, payer) == (300, 300)
    assert _zero_sum(app) == 0 and api.verify_ledger() == []


def test_many_payments_in_at_once_collect_the_debt_exactly_once(app, api):
    payer = api.person(name="Customer", balance=1_000)
    _owe(api, payer, 700)
    senders = [api.person(name=f"Sender {n}", balance=1_000) for n in range(4)]
    barrier = threading.Barrier(8)
    statuses = []

    def top_up():
        client = app.test_client()
        barrier.wait()
        for _ in range(3):
            response = client.post(f"/api/v1/wallets/{payer.wallet_id}/topups", json={"amount": 100, "source": "tok_visa"},
                                   headers={**payer.auth, "Idempotency-Key": str(uuid.uuid4())})
            statuses.append(response.status_code)

    def send(sender):
        client = app.test_client()
        barrier.wait()
        for _ in range(3):
            response = client.post("/api/v1/transfers", json={"to": payer.wallet_id, "amount": 100, "currency": "USD"},
                                   headers={**sender.auth, "Idempotency-Key": str(uuid.uuid4())})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=top_up) for _ in range(4)] + [threading.Thread(target=send, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [201] * 24
    assert _debt(app, payer) == (700, 700) and _receivable(app) == 0
    assert api.wallet(payer)["balance"] == 24 * 100 - 700
    with app.app_context():
        from app.wallet.models import Transaction
        taken = db.session.execute(select(func.sum(Transaction.amount)).where(
            Transaction.type == "debt_collection", Transaction.debit_account_id == payer.wallet_id)).scalar_one()
    assert taken == 700
    assert _zero_sum(app) == 0 and api.verify_ledger() == []

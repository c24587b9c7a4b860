"""A merchant's credit buckets (app/wallet/sql/ledger_post.sql): payments to one shop spread over
a few child accounts instead of queueing on one row lock; a debit larger than the account itself
holds sweeps them back first. The money is the same as with one account: tests/wallet/
test_ledger_oracle.py checks that against the pure rules; these check the buckets themselves,
and many clients at once."""
from __future__ import annotations

import random
import threading

from sqlalchemy import func, select

from app.core.errors import AppError, Code
from app.core.uow import unit_of_work
from app.extensions import db
from app.wallet import ledger
from app.wallet.models import Account, Entry, Transaction
from app.wallet.verify import verify_ledger


def _accounts(app, payers: int, funding: int) -> tuple[str, list[str], str]:
    with app.app_context(), unit_of_work() as uow:
        system = ledger.system_account(ledger.TOPUP_FLOAT, "USD").id
        shop = ledger.open_account(kind="merchant", currency="USD", prefix="acc").id
        wallets = [ledger.open_account(kind="user", currency="USD").id for _ in range(payers)]
        uow.commit()
    for wallet in wallets:
        _move(app, system, wallet, funding)
    return shop, wallets, system


def _move(app, debit: str, credit: str, amount: int, type: str = "payment") -> str:
    with app.app_context(), unit_of_work() as uow:
        txn = ledger.new_transaction(type=type, status="succeeded", amount=amount, currency="USD",
                                     debit_id=debit, credit_id=credit)
        ledger.record_transfer(txn, kind="posted", debit_id=debit, credit_id=credit, amount=amount)
        uow.commit()
        return txn.id


def _balances(app, shop: str) -> dict[str, int]:
    with app.app_context():
        return {a.id: a.balance for a in ledger.with_buckets(shop)}


def test_a_merchant_account_opens_with_its_buckets_and_payments_spread_over_them(app):
    shop, wallets, _ = _accounts(app, 1, 10_000)

    for _ in range(40):
        _move(app, wallets[0], shop, 10)

    balances = _balances(app, shop)
    assert sorted(balances) == [shop] + [f"{shop}.{n}" for n in range(ledger.MERCHANT_CREDIT_BUCKETS)]
    assert balances[shop] == 0  # every payment landed in a bucket
    assert sum(1 for n in balances.values() if n > 0) >= 2  # 40 payments over 4 buckets: not all in one
    with app.app_context():
        assert ledger.balance_with_buckets(shop).balance == 400
        # the payments' transaction rows name the merchant account, not a bucket
        credited = db.session.execute(select(Transaction.credit_account_id).where(
            Transaction.debit_account_id == wallets[0], Transaction.type == "payment")).scalars().all()
        assert set(credited) == {shop}


def test_a_refund_larger_than_the_account_itself_holds_sweeps_the_buckets_first(app):
    shop, wallets, _ = _accounts(app, 1, 10_000)
    for amount in (100, 200, 300, 400):
        _move(app, wallets[0], shop, amount)

    refund = _move(app, shop, wallets[0], 900, type="refund")

    balances = _balances(app, shop)
    assert balances == {shop: 100, **{f"{shop}.{n}": 0 for n in range(ledger.MERCHANT_CREDIT_BUCKETS)}}
    with app.app_context():
        sweeps = db.session.execute(select(Transaction).where(Transaction.type == "bucket_sweep")).scalars().all()
        assert sweeps and all(s.related_id == refund and s.credit_account_id == shop for s in sweeps)
        assert sum(s.amount for s in sweeps) == 1000
        assert verify_ledger() == []


def test_a_refund_larger_than_everything_the_merchant_holds_is_refused_and_sweeps_nothing(app):
    shop, wallets, _ = _accounts(app, 1, 10_000)
    for amount in (100, 200):
        _move(app, wallets[0], shop, amount)
    before = _balances(app, shop)

    try:
        _move(app, shop, wallets[0], 301, type="refund")
        raise AssertionError("the refund went through")
    except AppError as refused:
        assert refused.code == Code.INSUFFICIENT_FUNDS

    assert _balances(app, shop) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Transaction)
                                 .where(Transaction.type == "bucket_sweep")) == 0


def test_many_payers_and_refunds_on_one_merchant_at_once_keep_every_unit(app):
    # given one shop, 12 paying wallets and two cashiers refunding at the same time
    shop, wallets, _ = _accounts(app, 12, 5_000)
    paid, refunded, unexpected = [], [], []
    lock = threading.Lock()
    barrier = threading.Barrier(14)

    def payer(wallet: str, seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(15):
            amount = rng.randint(1, 100)
            try:
                _move(app, wallet, shop, amount)
                with lock:
                    paid.append(amount)
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                unexpected.append(repr(exc))

    def cashier(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(10):
            amount = rng.randint(50, 400)
            try:
                _move(app, shop, rng.choice(wallets), amount, type="refund")
                with lock:
                    refunded.append(amount)
            except AppError as refused:
                if refused.code != Code.INSUFFICIENT_FUNDS:
                    unexpected.append(repr(refused))
            except Exception as exc:  # noqa: BLE001 - a deadlock would land here
                unexpected.append(repr(exc))

    threads = [threading.Thread(target=payer, args=(w, i)) for i, w in enumerate(wallets)]
    threads += [threading.Thread(target=cashier, args=(100 + i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then nothing failed but honest refusals, and every unit is where the acknowledged calls put it
    assert unexpected == []
    assert len(paid) == 12 * 15
    with app.app_context():
        assert ledger.balance_with_buckets(shop).balance == sum(paid) - sum(refunded)
        wallets_total = db.session.scalar(select(func.sum(Account.credits_posted - Account.debits_posted))
                                          .where(Account.id.in_(wallets)))
        assert wallets_total == 12 * 5_000 - sum(paid) + sum(refunded)
        used = db.session.scalar(select(func.count(func.distinct(Entry.account_id)))
                                 .where(Entry.account_id.like(f"{shop}.%")))
        assert used == ledger.MERCHANT_CREDIT_BUCKETS
        assert verify_ledger() == []

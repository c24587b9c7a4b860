"""Moving money inside an open unit of work. Nothing here commits; the calling service does.

Every movement goes through `record_transfer`, which locks both accounts, re-checks the rules
after the lock, writes one immutable transfer and its two entries, and extends both hash chains.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.core import clock
from app.core.errors import AppError, Code
from app.core.ids import new_id
from app.extensions import db
from app.wallet import ledger_writes, rules
from app.wallet.models import GENESIS_HASH, Account, Transaction, Transfer

TOPUP_FLOAT = "topup_float"


def lock_accounts(ids: list[str]) -> dict[str, Account]:
    """SELECT ... FOR NO KEY UPDATE in primary-key order.

    Two transfers between the same pair of accounts lock them in the same order whatever their
    direction, so they queue instead of deadlocking. NO KEY UPDATE (not FOR UPDATE) because the
    rows that reference an account (transactions, entries) take KEY SHARE locks on it when they
    are inserted; FOR UPDATE would conflict with those and deadlock two payments that inserted
    their transaction rows first. populate_existing makes the re-check after the lock read the
    committed values, not what this session loaded before.
    """
    stmt = (select(Account).where(Account.id.in_(sorted(set(ids)))).order_by(Account.id)
            .with_for_update(key_share=True).execution_options(populate_existing=True))
    return {account.id: account for account in db.session.execute(stmt).scalars()}


def _balances(account: Account) -> rules.Balances:
    return rules.Balances(account.debits_posted, account.credits_posted,
                          account.debits_pending, account.credits_pending)


def _entry(account: Account, after: rules.Balances, transfer: Transfer, side: str) -> dict:
    return {"account_id": account.id, "seq": account.entry_count + 1, "transfer_id": transfer.id,
            "transaction_id": transfer.transaction_id,
            "amount": rules.signed_amount(transfer.kind, transfer.amount, side),
            "balance_after": after.balance, "prev_hash": account.last_hash, "created_at": transfer.created_at}


def record_transfer(txn: Transaction, *, kind: str, debit_id: str, credit_id: str, amount: int,
                    pending: Transfer | None = None, expires_at: datetime | None = None,
                    credit_balance_cap: int | None = None) -> Transfer:
    accounts = lock_accounts([debit_id, credit_id])
    debit, credit = accounts[debit_id], accounts[credit_id]
    if debit.currency != credit.currency or debit.currency != txn.currency:
        raise AppError(Code.CURRENCY_NOT_SUPPORTED, "both accounts must hold the transfer's currency")
    debit_effect, credit_effect = rules.effects(kind, amount, pending.amount if pending else 0)
    debit_after = _balances(debit).plus(debit_effect)
    credit_after = _balances(credit).plus(credit_effect)
    if not debit_after.valid(debit.no_overdraft):
        raise AppError(Code.INSUFFICIENT_FUNDS, "not enough money in the wallet",
                       {"available": debit.available, "requested": amount})
    if not credit_after.valid(credit.no_overdraft):
        raise AppError(Code.CONFLICT, "the receiving account cannot take this transfer")
    if credit_balance_cap is not None and credit_after.balance + credit_after.credits_pending > credit_balance_cap:
        raise AppError(Code.BALANCE_LIMIT_EXCEEDED, "the wallet would exceed its maximum balance",
                       {"max_balance": credit_balance_cap})

    now = clock.now()
    transfer = Transfer(id=new_id("trf"), transaction_id=txn.id, kind=kind, debit_account_id=debit.id,
                        credit_account_id=credit.id, amount=amount, currency=txn.currency,
                        pending_id=pending.id if pending else None, expires_at=expires_at, created_at=now)
    transfer.hash = rules.transfer_hash(
        id=transfer.id, transaction_id=txn.id, kind=kind, debit_account_id=debit.id,
        credit_account_id=credit.id, amount=amount, currency=txn.currency, pending_id=transfer.pending_id,
        created_at=now, debit_prev_hash=debit.last_hash, credit_prev_hash=credit.last_hash)
    ledger_writes.insert_row(transfer)
    entries = [_entry(debit, debit_after, transfer, "debit"), _entry(credit, credit_after, transfer, "credit")]
    ledger_writes.post([(debit, debit_after), (credit, credit_after)], transfer.hash, entries)
    return transfer


def new_transaction(*, type: str, status: str, amount: int, currency: str, debit_id: str, credit_id: str,
                    initiator_id: str | None = None, reference: str | None = None, note: str | None = None,
                    related_id: str | None = None, terminal_id: str | None = None) -> Transaction:
    txn = Transaction(id=new_id("txn"), type=type, status=status, amount=amount, currency=currency,
                      debit_account_id=debit_id, credit_account_id=credit_id, initiator_id=initiator_id,
                      reference=reference, note=note, related_id=related_id, terminal_id=terminal_id,
                      created_at=clock.now())
    ledger_writes.insert_row(txn)
    return txn


def system_account(code: str, currency: str) -> Account:
    """The system account for `code` in `currency`, created on first use.

    System accounts may go negative: the top-up float's debit balance is the money that came in
    from outside (cards, banks) and now sits in wallets.
    """
    found = db.session.execute(select(Account).filter_by(code=code, currency=currency)).scalar_one_or_none()
    if found:
        return found
    db.session.execute(insert(Account).values(
        id=new_id("acc"), kind="system", code=code, currency=currency, no_overdraft=False, status="active",
        debits_posted=0, credits_posted=0, debits_pending=0, credits_pending=0, entry_count=0,
        last_hash=GENESIS_HASH, created_at=clock.now()).on_conflict_do_nothing())
    return db.session.execute(select(Account).filter_by(code=code, currency=currency)).scalar_one()


def open_account(*, kind: str, currency: str, user_id: str | None = None, merchant_id: str | None = None,
                 prefix: str = "wal") -> Account:
    account = Account(id=new_id(prefix), kind=kind, user_id=user_id, merchant_id=merchant_id, currency=currency,
                      no_overdraft=True, status="active", debits_posted=0, credits_posted=0, debits_pending=0,
                      credits_pending=0, entry_count=0, last_hash=GENESIS_HASH, created_at=clock.now())
    db.session.add(account)
    db.session.flush()
    return account


def pending_resolution(pending: Transfer) -> Transfer | None:
    return db.session.execute(select(Transfer).filter_by(pending_id=pending.id)).scalar_one_or_none()

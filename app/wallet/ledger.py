"""Moving money inside an open unit of work. Nothing here commits; the calling service does.

Every movement goes through `record_transfer`, which locks both accounts, re-checks the rules
after the lock, writes one immutable transfer and its two entries, and extends both hash chains.
"""
from __future__ import annotations

from datetime import datetime

import json

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects.postgresql import insert

from app.core import clock
from app.core.driver_call import execute_one
from app.core.errors import AppError, Code
from app.core.idempotency import CallerRefused, note_replay
from app.core.ids import new_id
from app.core.request_ids import carrying_request_id, request_id_param
from app.extensions import db
from app.wallet import ledger_writes, rules
from app.wallet.models import GENESIS_HASH, Account, Transaction, Transfer

TOPUP_FLOAT = "topup_float"
# Each merchant account's credit buckets (ledger_post.sql says how they work). Four: on two cores
# a payment holds its credited row from its lock through its commit's disk flush, so a shop
# every payment goes to would otherwise take one payment at a time; with four buckets, four
# commits can flush together, which the bench's qr_hot against qr_spread shows is enough here
# (README, Performance). More buckets cost a merchant's history one query each per page.
MERCHANT_CREDIT_BUCKETS = 4


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


_POST = text("SELECT * FROM ledger_post(:id, :transaction_id, :kind, :debit, :credit, :amount, :currency, "
              ":pending_id, :expires_at, :cap, :now)")
_REFUSALS = {code.value: code for code in (Code.NOT_FOUND, Code.CURRENCY_NOT_SUPPORTED, Code.INSUFFICIENT_FUNDS,
                                           Code.CONFLICT, Code.BALANCE_LIMIT_EXCEEDED, Code.AMOUNT_EXCEEDS_HOLD,
                                           Code.LIMIT_EXCEEDED, Code.WALLET_FROZEN, Code.RECIPIENT_FROZEN)}
_MESSAGES = {
    Code.NOT_FOUND: "account not found",
    Code.CURRENCY_NOT_SUPPORTED: "both accounts must hold the transfer's currency",
    Code.INSUFFICIENT_FUNDS: "not enough money in the wallet",
    Code.CONFLICT: "the receiving account cannot take this transfer",
    Code.BALANCE_LIMIT_EXCEEDED: "the wallet would exceed its maximum balance",
    Code.AMOUNT_EXCEEDS_HOLD: "the capture is larger than the hold",
    Code.LIMIT_EXCEEDED: "this would pass a limit of your tier",
    Code.WALLET_FROZEN: "this wallet is frozen",
    Code.RECIPIENT_FROZEN: "the receiving wallet is frozen and cannot take money",
}
# The limits a merchant sets itself (app/merchant/sql/merchant_limits.sql) are refused with the
# same code and details; only the words differ (details.limit says which).
_LIMIT_MESSAGES = {"merchant_max_charge": "this is above the largest charge the merchant allows",
                   "merchant_daily_refunds": "this would pass the merchant's daily refund total"}


def record_transfer(txn: Transaction, *, kind: str, debit_id: str, credit_id: str, amount: int,
                    pending: Transfer | None = None, expires_at: datetime | None = None,
                    credit_balance_cap: int | None = None) -> Transfer:
    """Post one transfer inside the caller's unit of work: one call to the database function
    ledger_post (app/wallet/sql/ledger_post.sql), which locks both accounts, applies the rules,
    and writes the transfer, its entries, the balances and both hash chains."""
    now = clock.now()
    transfer = Transfer(id=new_id("trf"), transaction_id=txn.id, kind=kind, debit_account_id=debit_id,
                        credit_account_id=credit_id, amount=amount, currency=txn.currency,
                        pending_id=pending.id if pending else None, expires_at=expires_at, created_at=now)
    if db.session.new or db.session.dirty:
        db.session.flush()  # rows the transfer references (a transaction, a wallet opened just now) go first
    try:
        result = db.session.connection().execute(_POST, {
            "id": transfer.id, "transaction_id": txn.id, "kind": kind, "debit": debit_id, "credit": credit_id,
            "amount": amount, "currency": txn.currency, "pending_id": transfer.pending_id,
            "expires_at": expires_at, "cap": credit_balance_cap, "now": now}).one()
    except DBAPIError as exc:
        raise refusal(exc) from None
    transfer.hash, transfer.credit_account_id = result.hash, result.credit_id  # a merchant's: one of its buckets
    ledger_writes.attach(transfer)
    ledger_writes.refresh_balances({
        debit_id: rules.Balances(result.debit_debits_posted, result.debit_credits_posted,
                                 result.debit_debits_pending, result.debit_credits_pending),
        result.credit_id: rules.Balances(result.credit_debits_posted, result.credit_credits_posted,
                                  result.credit_debits_pending, result.credit_credits_pending)}, result.hash)
    return transfer


def refusal(exc: DBAPIError) -> Exception:
    """ledger_post's refusals (SQLSTATE P0001, our code as the message, details as JSON) as AppError;
    anything else (a deadlock to retry, a broken constraint) as it was."""
    diag = getattr(exc.orig, "diag", None)
    code = _REFUSALS.get(diag.message_primary) if diag is not None and exc.orig.sqlstate == "P0001" else None
    if code is None:
        return exc
    details = json.loads(diag.message_detail or "{}")
    return AppError(code, _LIMIT_MESSAGES.get(details.get("limit"), _MESSAGES[code]), details)


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
    """A new account; a merchant's comes with its credit buckets (ledger_post.sql)."""
    buckets = MERCHANT_CREDIT_BUCKETS if kind == "merchant" else 0
    account = _new_account(id=new_id(prefix), kind=kind, user_id=user_id, merchant_id=merchant_id,
                           currency=currency, credit_buckets=buckets)
    db.session.add(account)
    db.session.flush()
    db.session.add_all(_new_account(id=f"{account.id}.{n}", kind="bucket", parent_id=account.id, currency=currency)
                       for n in range(buckets))
    db.session.flush()
    return account


def _new_account(**fields) -> Account:
    return Account(no_overdraft=True, status="active", debits_posted=0, credits_posted=0, debits_pending=0,
                   credits_pending=0, entry_count=0, last_hash=GENESIS_HASH, created_at=clock.now(),
                   **{"credit_buckets": 0} | fields)


def with_buckets(account_id: str) -> list[Account]:
    """The account and its credit buckets, if any: together they hold a merchant's money."""
    return list(db.session.execute(select(Account).where((Account.id == account_id) | (Account.parent_id == account_id))
                                   .order_by(Account.id)).scalars())


def balance_with_buckets(account_id: str) -> rules.Balances:
    """A merchant account's totals as if it had no buckets: its own, plus what its buckets took
    in and have not yet swept into it. A bucket is only ever debited by a sweep into its parent
    and never holds pending amounts, so its debits are exactly the money already counted in the
    parent's credits."""
    parent, *buckets = with_buckets(account_id)
    unswept = sum(b.credits_posted - b.debits_posted for b in buckets)
    return rules.Balances(parent.debits_posted, parent.credits_posted + unswept,
                          parent.debits_pending, parent.credits_pending)


def pending_resolution(pending: Transfer) -> Transfer | None:
    return db.session.execute(select(Transfer).filter_by(pending_id=pending.id)).scalar_one_or_none()


Refusals = dict[str, tuple[Code, str, dict | None]]  # key -> (code, message template, details)
# As a refusal's details: the ones the function raised with it (DETAIL), e.g. {"held", "requested"}.
AS_RAISED: dict = {"as": "raised"}


def call_payment(connection, statement, params: dict, refusals: Refusals, before_key: set[str]):
    """Run a payment function (one statement) and answer its row; its refusals as AppError.

    A function refuses in two ways: before it claims the Idempotency-Key it returns `refusal`
    (those in `before_key` are CallerRefused: not stored under the key); after the claim it raises
    MESSAGE 'refused' with the key as HINT, so the statement and its claim are undone. ledger_post's
    own refusals (insufficient_funds, ...) are raised too. A returned refusal that `refusals`
    does not name (qr_pay's 'not_here') is left to the caller. The call carries the request's id
    into the webhook events it writes (app.core.request_ids)."""
    try:
        row = execute_one(connection, carrying_request_id(statement), params | request_id_param())
    except DBAPIError as exc:
        raise raised_refusal(exc, refusals) from None
    if row.refusal in refusals:
        raise _refused(refusals, row.refusal, row.details or {},
                       CallerRefused if row.refusal in before_key else AppError)
    if getattr(row, "replayed", None):  # the answer stored under the key, given again
        note_replay()
    return row


def raised_refusal(exc: DBAPIError, refusals: Refusals) -> Exception:
    """What a payment function raised: its 'refused' (HINT the key) or ledger_post's own refusal
    as AppError; anything else (a deadlock to retry, a broken constraint) as it was."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and exc.orig.sqlstate == "P0001" and diag.message_primary == "refused":
        return _refused(refusals, diag.message_hint, json.loads(diag.message_detail or "{}"), AppError)
    return refusal(exc)


def _refused(refusals: Refusals, key: str, found: dict, kind: type[AppError]) -> AppError:
    code, message, details = refusals[key]
    return kind(code, message.format_map(found), found if details is AS_RAISED else details or {})

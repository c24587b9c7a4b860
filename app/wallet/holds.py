"""Holds (two-phase transfers): authorize now, capture all or part later, or void, or expire.

`authorize`, `capture` and `void` are units of work. `place_hold`, `capture_hold` and
`void_hold` do the same inside a unit of work the caller opened, for services that write their
own rows with the hold in one commit (the vending endpoints of app.pos).

Refusals are distinct, because a terminal acts differently on each:
    a second capture, or a void after a capture       409 already_captured
    a capture after a void or after the expiry ran     409 authorization_voided
    a capture past the expiry time, not yet released   410 hold_expired
    a capture larger than the hold                     422 amount_exceeds_hold
A second void returns the released hold unchanged: the terminal's retry gets the same answer.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.uow import end_read, retrying, unit_of_work
from app.extensions import db
from app.wallet import ledger
from app.wallet.events import hold_expired
from app.wallet.models import Transaction, Transfer


def _pending_leg(txn_id: str) -> Transfer:
    leg = db.session.execute(select(Transfer).filter_by(transaction_id=txn_id, kind="pending")).scalar_one_or_none()
    if leg is None:
        raise not_found("hold")
    return leg


def place_hold(*, debit_id: str, credit_id: str, amount: int, currency: str, expires_at: datetime,
               initiator_id: str | None = None, reference: str | None = None,
               terminal_id: str | None = None) -> Transaction:
    """Inside an open unit of work: a pending transfer that takes `amount` out of `available`."""
    txn = ledger.new_transaction(type="hold", status="authorized", amount=amount, currency=currency,
                                 debit_id=debit_id, credit_id=credit_id, initiator_id=initiator_id,
                                 reference=reference, terminal_id=terminal_id)
    ledger.record_transfer(txn, kind="pending", debit_id=debit_id, credit_id=credit_id, amount=amount,
                           expires_at=expires_at)
    return txn


def authorize(*, debit_id: str, credit_id: str, amount: int, currency: str, expires_in: int,
              initiator_id: str | None = None, reference: str | None = None,
              terminal_id: str | None = None) -> Transaction:
    def attempt():
        with unit_of_work() as uow:
            txn = place_hold(debit_id=debit_id, credit_id=credit_id, amount=amount, currency=currency,
                             expires_at=clock.now() + timedelta(seconds=expires_in), initiator_id=initiator_id,
                             reference=reference, terminal_id=terminal_id)
            uow.commit()
            return txn
    return retrying(attempt)


def _refuse_resolved(resolution: Transfer, kind: str) -> None:
    if resolution.kind == "post_pending":
        raise AppError(Code.ALREADY_CAPTURED, "this authorization was already captured",
                       {"captured_amount": resolution.amount})
    if kind == "post_pending":
        raise AppError(Code.AUTHORIZATION_VOIDED, "this authorization was voided or has expired; nothing is "
                       "held any more")


def _resolve(txn_id: str, kind: str, amount: int | None, *, expiring: bool = False) -> Transaction:
    """Inside an open unit of work: post (capture) or void the hold of transaction `txn_id`."""
    pending = _pending_leg(txn_id)
    ledger.lock_accounts([pending.debit_account_id, pending.credit_account_id])
    txn = db.session.get(Transaction, txn_id, populate_existing=True)
    # Checked after the lock: a concurrent capture or void has committed by now.
    resolution = ledger.pending_resolution(pending)
    if resolution is not None:
        if expiring:
            raise AppError(Code.HOLD_NOT_PENDING, "this hold was already resolved")
        _refuse_resolved(resolution, kind)
        return txn  # a second void: already released, nothing more to do
    expired = clock.as_utc(pending.expires_at) <= clock.now()
    if kind == "post_pending" and expired:
        raise AppError(Code.HOLD_EXPIRED, "this hold has expired")
    if expiring and not expired:
        raise AppError(Code.HOLD_NOT_PENDING, "this hold has not expired yet")
    post = pending.amount if amount is None else amount
    if kind == "post_pending" and post > pending.amount:
        raise AppError(Code.AMOUNT_EXCEEDS_HOLD, "the capture is larger than the hold",
                       {"held": pending.amount, "requested": post})
    # A partial capture posts `post` and releases the rest in the same transfer (TigerBeetle's
    # post_pending with a smaller amount): the pending debit goes away whole.
    ledger.record_transfer(txn, kind=kind, debit_id=pending.debit_account_id,
                           credit_id=pending.credit_account_id,
                           amount=post if kind == "post_pending" else pending.amount, pending=pending)
    txn.status = "captured" if kind == "post_pending" else ("expired" if expiring else "voided")
    if expiring:
        # Only here, after the checks under the lock: a hold is released by expiry once (the
        # resolution is UNIQUE), so whoever listens hears of it once, in this transaction.
        hold_expired.send(txn)
    return txn


def captured_amount(txn: Transaction) -> int:
    """What a hold's capture took (the rest was released); 0 if it was not captured."""
    resolution = ledger.pending_resolution(_pending_leg(txn.id))
    return resolution.amount if resolution is not None and resolution.kind == "post_pending" else 0


def capture_hold(txn_id: str, amount: int | None = None) -> Transaction:
    """Inside an open unit of work: take `amount` (default all) of the hold, release the rest."""
    return _resolve(txn_id, "post_pending", amount)


def void_hold(txn_id: str) -> Transaction:
    """Inside an open unit of work: release the whole hold (again: a no-op)."""
    return _resolve(txn_id, "void_pending", None)


def _in_unit_of_work(txn_id: str, kind: str, amount: int | None, *, expiring: bool = False) -> Transaction:
    def attempt():
        with unit_of_work() as uow:
            txn = _resolve(txn_id, kind, amount, expiring=expiring)
            uow.commit()
            return txn
    return retrying(attempt)


def capture(txn_id: str, amount: int | None = None) -> Transaction:
    return _in_unit_of_work(txn_id, "post_pending", amount)


def void(txn_id: str) -> Transaction:
    return _in_unit_of_work(txn_id, "void_pending", None)


def expire_due(limit: int = 500) -> int:
    """Release holds past their expiry; run by `flask ledger expire-holds` (cron or a loop).
    Each release announces app.wallet.events.hold_expired in its own unit of work, so listeners
    (the merchant's authorization.expired) commit with it."""
    resolving = aliased(Transfer)
    unresolved = ~select(resolving.id).where(resolving.pending_id == Transfer.id).exists()
    due = db.session.execute(select(Transfer.transaction_id).where(
        Transfer.kind == "pending", Transfer.expires_at <= clock.now(), unresolved).limit(limit)).scalars().all()
    end_read()
    expired = 0
    for txn_id in due:
        try:
            _in_unit_of_work(txn_id, "void_pending", None, expiring=True)
            expired += 1
        except AppError:
            pass  # captured or voided meanwhile
    return expired

"""Holds (two-phase transfers): authorize now, capture all or part later, or void, or expire.

The terminal endpoints of the POS issue call these; each is one unit of work.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.uow import retrying, unit_of_work
from app.extensions import db
from app.wallet import ledger
from app.wallet.models import Transaction, Transfer


def _pending_leg(txn_id: str) -> Transfer:
    leg = db.session.execute(select(Transfer).filter_by(transaction_id=txn_id, kind="pending")).scalar_one_or_none()
    if leg is None:
        raise not_found("hold")
    return leg


def authorize(*, debit_id: str, credit_id: str, amount: int, currency: str, expires_in: int,
              initiator_id: str | None = None, reference: str | None = None) -> Transaction:
    def attempt():
        with unit_of_work() as uow:
            txn = ledger.new_transaction(type="hold", status="authorized", amount=amount, currency=currency,
                                         debit_id=debit_id, credit_id=credit_id, initiator_id=initiator_id,
                                         reference=reference)
            ledger.record_transfer(txn, kind="pending", debit_id=debit_id, credit_id=credit_id, amount=amount,
                                   expires_at=clock.now() + timedelta(seconds=expires_in))
            uow.commit()
            return txn
    return retrying(attempt)


def _resolve(txn_id: str, kind: str, amount: int | None, *, expiring: bool = False) -> Transaction:
    def attempt():
        with unit_of_work() as uow:
            pending = _pending_leg(txn_id)
            ledger.lock_accounts([pending.debit_account_id, pending.credit_account_id])
            # Checked after the lock: a concurrent capture or void has committed by now.
            resolution = ledger.pending_resolution(pending)
            if resolution is not None:
                raise AppError(Code.HOLD_NOT_PENDING, f"this hold was already {_done(resolution)}", 409,
                               {"resolution": _done(resolution)})
            expired = clock.as_utc(pending.expires_at) <= clock.now()
            if kind == "post_pending" and expired:
                raise AppError(Code.HOLD_EXPIRED, "this hold has expired", 410)
            if expiring and not expired:
                raise AppError(Code.HOLD_NOT_PENDING, "this hold has not expired yet", 409)
            post = pending.amount if amount is None else amount
            if kind == "post_pending" and post > pending.amount:
                raise AppError(Code.AMOUNT_EXCEEDS_HOLD, "the capture is larger than the hold", 422,
                               {"held": pending.amount})
            txn = db.session.get(Transaction, txn_id)
            ledger.record_transfer(txn, kind=kind, debit_id=pending.debit_account_id,
                                   credit_id=pending.credit_account_id,
                                   amount=post if kind == "post_pending" else pending.amount, pending=pending)
            txn.status = "captured" if kind == "post_pending" else ("expired" if expiring else "voided")
            uow.commit()
            return txn
    return retrying(attempt)


def _done(resolution: Transfer) -> str:
    return "captured" if resolution.kind == "post_pending" else "voided or expired"


def capture(txn_id: str, amount: int | None = None) -> Transaction:
    return _resolve(txn_id, "post_pending", amount)


def void(txn_id: str) -> Transaction:
    return _resolve(txn_id, "void_pending", None)


def expire_due(limit: int = 500) -> int:
    """Release holds past their expiry; run by `flask ledger expire-holds` (cron or a loop)."""
    resolving = aliased(Transfer)
    unresolved = ~select(resolving.id).where(resolving.pending_id == Transfer.id).exists()
    due = db.session.execute(select(Transfer.transaction_id).where(
        Transfer.kind == "pending", Transfer.expires_at <= clock.now(), unresolved).limit(limit)).scalars().all()
    db.session.rollback()
    expired = 0
    for txn_id in due:
        try:
            _resolve(txn_id, "void_pending", None, expiring=True)
            expired += 1
        except AppError:
            pass  # captured or voided meanwhile
    return expired

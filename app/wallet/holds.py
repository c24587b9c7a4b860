"""Holds (two-phase transfers): authorize now, capture all or part later, or void, or expire.

`authorize` is a unit of work; `place_hold` does the same inside a unit of work the caller
opened (a vending authorization writes its own row with the hold in one commit). A capture or a
void is one call to the database function hold_settle (app/wallet/sql/holds.sql), which this
docstring and rules.py specify: `capture` and `void` here, and the terminal functions of
app/pos/sql/terminal_holds.sql that settle a terminal's hold with its row, event and answer.
The sweeper (app.pos.hold_expiry) releases expired holds through the same function.

Refusals are distinct, because a terminal acts differently on each:
    a second capture, or a void after a capture       409 already_captured
    a capture after a void or after the expiry ran     409 authorization_voided
    a capture past the expiry time, not yet released   410 hold_expired
    a capture larger than the hold                     422 amount_exceeds_hold
A second void returns the released hold unchanged: the terminal's retry gets the same answer.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.errors import Code, not_found
from app.core.ids import new_id
from app.core.uow import end_read, retrying, single_statement, unit_of_work
from app.extensions import db
from app.wallet import ledger
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


# hold_settle's refusals (app/wallet/sql/holds.sql), raised as MESSAGE 'refused' with the key as HINT;
# the terminal functions (app/pos/sql/terminal_holds.sql) add their own to these.
HOLD_REFUSALS: ledger.Refusals = {
    "hold_not_found": (Code.NOT_FOUND, "hold not found", None),
    "already_captured": (Code.ALREADY_CAPTURED, "this authorization was already captured", ledger.AS_RAISED),
    "authorization_voided": (Code.AUTHORIZATION_VOIDED, "this authorization was voided or has expired; nothing "
                             "is held any more", None),
    "hold_expired": (Code.HOLD_EXPIRED, "this hold has expired", None),
    "amount_exceeds_hold": (Code.AMOUNT_EXCEEDS_HOLD, "the capture is larger than the hold", ledger.AS_RAISED),
}
_SETTLE = text("SELECT * FROM hold_settle(:txn_id, :kind, :amount, false, :now, :transfer_id)")


def _settle(txn_id: str, kind: str, amount: int | None) -> Transaction:
    """One call to hold_settle, its own transaction (retried on deadlock); the refusals above."""
    def attempt():
        with single_statement() as connection:
            try:
                connection.execute(_SETTLE, {"txn_id": txn_id, "kind": kind, "amount": amount, "now": clock.now(),
                                             "transfer_id": new_id("trf")})
            except DBAPIError as exc:
                raise ledger.raised_refusal(exc, HOLD_REFUSALS) from None
    retrying(attempt)
    return db.session.get(Transaction, txn_id, populate_existing=True)


def capture(txn_id: str, amount: int | None = None) -> Transaction:
    """Take `amount` (default all) of the hold and release the rest, in one database call."""
    return _settle(txn_id, "post_pending", amount)


def void(txn_id: str) -> Transaction:
    """Release the whole hold (again: answered as it stands), in one database call."""
    return _settle(txn_id, "void_pending", None)


def due(limit: int) -> list[str]:
    """The transactions of holds past their expiry and not yet resolved (the sweeper's list,
    app.pos.hold_expiry; each is checked again under its locks when it is released)."""
    resolving = aliased(Transfer)
    unresolved = ~select(resolving.id).where(resolving.pending_id == Transfer.id).exists()
    found = db.session.execute(select(Transfer.transaction_id).where(
        Transfer.kind == "pending", Transfer.expires_at <= clock.now(), unresolved).limit(limit)).scalars().all()
    end_read()
    return list(found)

"""A terminal asked for more than NO_PIN_AMOUNT: the customer approves or declines in the app.

    GET  /payments/pending, POST /payments/{id}/confirm | /decline

An approval is one database call, charge_confirm (charge_confirm.sql), after the PIN: it locks the
charge row first, then the terminal and the two accounts (in ledger_post), as everywhere in POS.
"""
from __future__ import annotations

import json

from sqlalchemy import and_, select, text

from app.auth.current import inactive_user
from app.auth.models import User
from app.auth.services.pin import require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.pos.charges.models import PosCharge
from app.pos.charges.services import PENDING, charge_event, effective_status, find_charge, publish
from app.pos.terminals.models import Terminal
from app.wallet import ledger


def _customer_charge(user: User, charge_id: str, *, lock: bool = False) -> PosCharge:
    return find_charge(charge_id, PosCharge.user_id == user.id, lock=lock)


def _require_pending(charge: PosCharge) -> None:
    status = effective_status(charge)
    if status == "expired":
        raise AppError(Code.CONFIRMATION_EXPIRED, "this payment was not approved in time; ask for a new one")
    if status != PENDING:
        raise AppError(Code.CHARGE_NOT_PENDING, f"this payment is already {status}", {"status": status})


def _payment_out(charge: PosCharge, merchant_name: str | None = None, terminal_label: str | None = None) -> dict:
    """The charge as the customer's app shows it: who asks, how much, until when. A list passes
    the names it joined; a single charge looks them up."""
    if merchant_name is None:
        merchant_name = db.session.get(Merchant, charge.merchant_id).name
        terminal_label = db.session.get(Terminal, charge.terminal_id).label
    return {"id": charge.id, "status": effective_status(charge), "amount": charge.amount,
            "currency": charge.currency, "reference": charge.reference, "wallet_id": charge.wallet_id,
            "merchant_name": merchant_name, "terminal_label": terminal_label,
            "created_at": clock.iso(charge.created_at), "expires_at": clock.iso(charge.expires_at),
            "transaction_id": charge.transaction_id}


def pending_payments(user_id: str) -> list[dict]:
    """The user's charges waiting for their approval, newest first (a handful at most: each
    needs a code shown within the last minute). One statement, the user's status checked in it
    (the phone polls this while a till waits): a disabled user is refused as current_user()
    refuses them."""
    rows = db.session.execute(
        select(User.status, PosCharge, Merchant.name, Terminal.label).select_from(User)
        .outerjoin(PosCharge, and_(PosCharge.user_id == User.id, PosCharge.kind == "charge", PosCharge.status == PENDING,
                                   PosCharge.expires_at > clock.now()))
        .outerjoin(Merchant, Merchant.id == PosCharge.merchant_id).outerjoin(Terminal, Terminal.id == PosCharge.terminal_id)
        .where(User.id == user_id)
        .order_by(PosCharge.created_at.desc(), PosCharge.id.desc())).all()
    if not rows or rows[0].status != "active":
        raise inactive_user()
    return [_payment_out(row.PosCharge, row.name, row.label) for row in rows if row.PosCharge is not None]


# What charge_confirm (charge_confirm.sql) may refuse; all after the key is claimed, so stored
# under it. ledger_post's own refusals (insufficient_funds, limit_exceeded, ...) come with their codes.
REFUSALS: ledger.Refusals = {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "charge_not_found": (Code.NOT_FOUND, "charge not found", None),
    "confirmation_expired": (Code.CONFIRMATION_EXPIRED, "this payment was not approved in time; ask for a new one",
                             None),
    "charge_not_pending": (Code.CHARGE_NOT_PENDING, "this payment is already {status}", ledger.AS_RAISED),
    "wallet_frozen": (Code.WALLET_FROZEN, "this wallet is frozen", None),
}
_CHARGE_CONFIRM = text("SELECT * FROM charge_confirm(:scope, :key, :fingerprint, :ttl, :user_id, :charge_id, :now, "
                       ":transaction_id, :transfer_id, :event_id)")


def confirm_payment(user: User, charge_id: str, pin: str, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """The customer approves with their PIN; the money moves now, in one database call
    (charge_confirm: the key, the charge locked and checked again, the event, the posting, the
    answer). A retry with the same Idempotency-Key gets the first answer (not "no longer pending")."""
    charge = _customer_charge(user, charge_id)
    if effective_status(charge) == PENDING:
        require_payment_pin(user, pin, charge.amount)  # before the call: argon2 and its counters are Python's
    elif idem is None:
        _require_pending(charge)  # a stale approval costs no PIN attempt
    # With a key, a charge no longer waiting may be this very request's earlier success: the
    # function replays the answer stored under the key, or refuses (and the refusal is stored).
    now = clock.now()
    params = {**claim_params(idem), "user_id": user.id, "charge_id": charge_id, "now": now,
              "transaction_id": new_id("txn"), "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _CHARGE_CONFIRM, params, REFUSALS, set())
        return row.status, json.loads(row.body)

    result = run_in_database(idem, call)
    if result[0] == 200:
        publish(charge_id)  # after the commit, never before: the till re-reads the charge
    return result


def decline_payment(user: User, charge_id: str) -> dict:
    """The customer says no; the terminal learns it at once."""
    with unit_of_work() as uow:
        charge = _customer_charge(user, charge_id, lock=True)
        _require_pending(charge)
        charge.status, charge.updated_at = "declined", clock.now()
        # The till learns it by polling; the merchant's server by this event.
        emit(charge.merchant_id, "payment.failed", charge_event(charge, failure_code="declined"))
        out = _payment_out(charge)
        uow.commit()
    publish(charge_id)
    return out

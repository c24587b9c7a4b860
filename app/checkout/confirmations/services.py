"""A terminal asked for more than NO_PIN_AMOUNT: the customer approves or declines in the app.

    GET  /payments/pending, POST /payments/{id}/confirm | /decline

The charge row is locked first, then the two accounts (in the ledger), as everywhere in POS.
"""
from __future__ import annotations


from sqlalchemy import select

from app.auth.models import User
from app.auth.services.pin import require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, run_once, single_flight
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.pos.charges.models import PosCharge
from app.pos.charges.services import PENDING, charge_event, effective_status, find_charge, pay_charge, publish
from app.pos.terminals.models import Terminal
from app.wallet.models import Account


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


def pending_payments(user: User) -> list[dict]:
    """The user's charges waiting for their approval, newest first (a handful at most: each
    needs a code shown within the last minute)."""
    rows = db.session.execute(
        select(PosCharge, Merchant.name, Terminal.label)
        .join(Merchant, Merchant.id == PosCharge.merchant_id).join(Terminal, Terminal.id == PosCharge.terminal_id)
        .where(PosCharge.user_id == user.id, PosCharge.kind == "charge", PosCharge.status == PENDING,
               PosCharge.expires_at > clock.now())
        .order_by(PosCharge.created_at.desc(), PosCharge.id.desc())).all()
    return [_payment_out(charge, merchant_name, label) for charge, merchant_name, label in rows]


def confirm_payment(user: User, charge_id: str, pin: str, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """The customer approves with their PIN; the money moves now. A retry with the same
    Idempotency-Key gets the first answer (not "no longer pending")."""
    return single_flight(idem, lambda: _confirm(user, charge_id, pin, idem))


def _confirm(user: User, charge_id: str, pin: str, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    charge = _customer_charge(user, charge_id)
    _require_pending(charge)  # before the PIN, so a stale approval costs no PIN attempt
    require_payment_pin(user, pin, charge.amount)

    def work():
        # Again under the lock: a decline, a reversal or the expiry may have come in between.
        locked = _customer_charge(user, charge_id, lock=True)
        _require_pending(locked)
        if db.session.get(Account, locked.wallet_id).status != "active":
            raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        pay_charge(locked)
        return 200, _payment_out(locked)

    result = run_once(idem, work)
    publish(charge_id)
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

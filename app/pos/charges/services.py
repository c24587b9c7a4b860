"""A terminal charges the code the customer shows.

    POST /pos/charges            terminal: resolve the scanned code and pay, or ask the customer
    GET  /pos/charges/{id}       terminal: the outcome, waiting for it if asked (long poll)
    (the customer approves large ones in the app: app.checkout.confirmations)

A charge is one database call, pos_charge (pos_charge.sql, called through app.pos.code_payments):
it claims the Idempotency-Key, takes the single-use code, pays or waits for the customer, and
stores the answer, so a retry gets the first answer and never takes the code again. A refused
charge is kept (status "failed" with its reason) and answered 402 with its id, so the till can
print it and the merchant can find it. The customer's confirmation is one call too (charge_confirm,
in app.checkout.confirmations). Lock order everywhere: the charge row, then the terminal (KEY
SHARE, for the batch), then the two accounts (in ledger_post).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select, text

from app.auth.models import User
from app.core import clock
from app.core.errors import Code, not_found
from app.core.idempotency import IdempotencyRequest
from app.core.ids import new_id
from app.core.notify import get_notifier, long_poll
from app.core.uow import end_read
from app.extensions import db
from app.pos.charges.models import PosCharge
from app.pos.code_payments import pay_by_code
from app.pos.terminals.models import Terminal


PENDING = "requires_confirmation"


def channel(charge_id: str) -> str:
    return f"charge:{charge_id}"


def publish(charge_id: str) -> None:  # after the commit that changed the charge, never before
    get_notifier().publish(channel(charge_id))


def owner_display(name: str | None) -> str | None:
    """"Alice Dupont" -> "Alice D.": enough for a cashier to ask "Alice?", never the phone."""
    parts = (name or "").split()
    return None if not parts else parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def effective_status(charge: PosCharge) -> str:
    # Expiry is read, not written: no job has to run for an unapproved charge to end.
    if charge.status == PENDING and clock.as_utc(charge.expires_at) <= clock.now():
        return "expired"
    return charge.status


def charge_out(charge: PosCharge) -> dict:
    owner = db.session.get(User, charge.user_id) if charge.user_id else None
    return {"id": charge.id, "status": effective_status(charge), "amount": charge.amount,
            "currency": charge.currency, "reference": charge.reference,
            "wallet_owner_display": owner_display(owner.name) if owner else None,
            "created_at": clock.iso(charge.created_at), "transaction_id": charge.transaction_id,
            "expires_at": clock.iso(charge.expires_at), "refunded_amount": charge.refunded_amount,
            "failure_code": charge.failure_code}


def find_charge(charge_id: str, owner, *, lock: bool) -> PosCharge:
    """A charge that `owner` (a terminal or customer condition) may see, else 404: someone
    else's looks exactly like a missing one. Locked FOR UPDATE, re-read, if asked."""
    stmt = select(PosCharge).where(PosCharge.id == charge_id, PosCharge.kind == "charge", owner)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    charge = db.session.execute(stmt).scalar_one_or_none()
    if charge is None:
        raise not_found("charge")
    return charge


def terminal_charge(terminal: Terminal, charge_id: str, *, lock: bool = False) -> PosCharge:
    return find_charge(charge_id, PosCharge.terminal_id == terminal.id, lock=lock)


def charge_event(charge: PosCharge, **extra) -> dict:
    """The data of a charge's webhook events: what the merchant's books need, nothing of the payer."""
    return {"charge_id": charge.id, "merchant_id": charge.merchant_id, "terminal_id": charge.terminal_id,
            "amount": charge.amount, "currency": charge.currency, "reference": charge.reference,
            "created_at": clock.iso(charge.created_at), **extra}



_POS_CHARGE = text(
    "SELECT * FROM pos_charge(:scope, :key, :fingerprint, :ttl, :terminal_id, :merchant_id, :device_id, :step, "
    ":slot, :code_refusal, :pin_locked, :amount, :currency, :reference, :confirm_above, :expires_at, :expires_iso, "
    "CAST(:messages AS json), :now, :now_iso, :charge_id, :transaction_id, :transfer_id, :event_id)")


def create_charge(terminal: Terminal, *, payment_code: str, amount: int, currency: str, reference: str | None,
                  idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call, pos_charge (pos_charge.sql): up to NO_PIN_AMOUNT it pays at once; above,
    the charge waits CHARGE_CONFIRMATION_TTL for the customer's PIN (app.checkout.confirmations).
    A refusal is recorded as a failed charge and answered 402 with its id, so the till can print it."""
    cfg = current_app.config
    # Refused before the key is claimed, leaving the code usable: a till set to the wrong currency.
    before_key = {"merchant_currency": (Code.CURRENCY_NOT_SUPPORTED, f"this merchant cannot take payments in "
                                        f"{currency}", False)}
    return pay_by_code(terminal, _POS_CHARGE, payment_code=payment_code, amount=amount, currency=currency,
                       reference=reference, idem=idem, expires_in=cfg["CHARGE_CONFIRMATION_TTL"], id_prefix="chg",
                       before_key=before_key, confirm_above=cfg["NO_PIN_AMOUNT"], event_id=new_id("msg"),
                       messages={"currency_not_supported": f"the customer's code pays from a wallet that does not "
                                                           f"hold {currency}"})


def follow_charge(terminal: Terminal, charge_id: str, *, wait: float) -> dict:
    """The charge now; with wait > 0, as soon as it is no longer waiting for the customer, or
    after `wait` seconds, whichever comes first."""
    seen: dict = {}

    def check() -> bool:
        seen["charge"] = charge_out(terminal_charge(terminal, charge_id))
        end_read()  # hand the connection back before sleeping
        return seen["charge"]["status"] != PENDING

    if wait > 0:
        long_poll(check, channel(charge_id), wait)
    else:
        check()
    return seen["charge"]

"""The payment PIN: six digits, argon2-hashed, needed above NO_PIN_AMOUNT.

PIN_MAX_FAILURES wrong PINs lock payments for PIN_LOCK_SECONDS, the right PIN included, so a
thief holding an unlocked phone cannot walk the PIN space. Counters live in the store.
"""
from __future__ import annotations

from flask import current_app

from app.auth import crypto
from app.auth.models import User
from app.auth.current import known_pin_lock, pin_lock_key
from app.auth.passwords import pin_is_trivial
from app.core.errors import AppError, Code
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db


def _locked_error() -> AppError:
    seconds = current_app.config["PIN_LOCK_SECONDS"]
    return AppError(Code.PIN_LOCKED, "too many wrong PINs; payments are locked for a while",
                    {"retry_after": seconds}, {"Retry-After": str(seconds)})


def _check(user: User, pin: str | None) -> None:
    store = get_store()
    if store.exists(pin_lock_key(user.id)):
        raise _locked_error()
    if not user.pin_hash:
        # Not "type your PIN": there is none yet (a freeze's lift asks for it too, not only payments).
        raise AppError(Code.PIN_REQUIRED, "this needs a payment PIN and none is set: set one first "
                       "(PUT /api/v1/me/pin)", {"pin_set": False})
    if not pin:
        raise AppError(Code.PIN_REQUIRED, "this payment needs your payment PIN", {"pin_set": True})
    if crypto.verify_secret(user.pin_hash, pin):
        store.delete(f"pin:fail:{user.id}")
        return
    cfg = current_app.config
    if store.incr(f"pin:fail:{user.id}", cfg["PIN_LOCK_SECONDS"]) >= cfg["PIN_MAX_FAILURES"]:
        store.set(pin_lock_key(user.id), cfg["PIN_LOCK_SECONDS"])
        store.delete(f"pin:fail:{user.id}")
        raise _locked_error()
    raise AppError(Code.PIN_INVALID, "the PIN is wrong")


def refuse_if_pin_locked(user_id: str) -> None:
    """A PIN lock stops every payment, small ones too (a terminal's charge of a scanned code).
    The signed-in user's lock was read with the request's authentication: no second round trip."""
    locked = known_pin_lock(user_id)
    if locked is None:
        locked = get_store().exists(pin_lock_key(user_id))
    if locked:
        raise _locked_error()


def pin_needed(amount: int, pin: str | None) -> bool:
    """Above NO_PIN_AMOUNT a payment needs the PIN; a PIN sent with a smaller one is checked too."""
    return amount > current_app.config["NO_PIN_AMOUNT"] or pin is not None


def require_payment_pin(user: User, pin: str | None, amount: int) -> None:
    """Call before a payment's unit of work. A PIN lock stops every payment, small ones too."""
    refuse_if_pin_locked(user.id)
    if pin_needed(amount, pin):
        _check(user, pin)


def require_pin(user: User, pin: str | None) -> None:
    """The PIN, whatever the amount (lifting one's own freeze): wrong ones count towards the lock."""
    _check(user, pin)


def set_pin(user: User, pin: str, current_pin: str | None) -> None:
    if user.pin_hash:
        _check(user, current_pin)
    if pin_is_trivial(pin):
        raise AppError(Code.WEAK_PIN, "choose a PIN that is not a repeated digit or a simple sequence")
    pin_hash = crypto.hash_secret(pin)
    with unit_of_work() as uow:
        db.session.get(User, user.id).pin_hash = pin_hash
        uow.commit()

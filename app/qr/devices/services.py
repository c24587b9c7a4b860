"""Consumer payment codes: registering the devices that show them, the current code, and
resolving a scanned code to the wallet it pays from (for terminals).

A scanned code is the customer's consent to one payment, so resolve_payment_code is strict:
only the current and the previous period's code, once, and a terminal that keeps presenting
wrong codes is shut out for a while. The code space is 7 handle digits + 8 TOTP digits, so a
guess at a live device's code succeeds one time in 10**8 per accepted period; the per-caller
failure limit keeps the number of guesses small.
"""
from __future__ import annotations

import math
import secrets

import pyotp
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth import crypto
from app.auth.models import User
from app.auth.totp import qr_svg
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db
from app.qr import payment_codes
from app.qr.devices.models import Device
from app.wallet.models import Account
from app.wallet.services import owned_wallet, wallets_of

# A handful of devices per person (phone, tablet, watch); more is a script filling the handle space.
MAX_ACTIVE_DEVICES = 10
# How far back a code that matches is told "expired" rather than "invalid": a stale screen, not a guess.
EXPIRED_LOOKBACK_PERIODS = 10
_HANDLE_ATTEMPTS = 5


def _settings() -> tuple[str, int]:
    cfg = current_app.config
    return cfg["PAYMENT_CODE_PREFIX"], cfg["PAYMENT_CODE_PERIOD"]


def device_out(device: Device) -> dict:
    return {"id": device.id, "name": device.name, "handle": device.handle,
            "created_at": clock.iso(device.created_at), "revoked_at": clock.iso(device.revoked_at)}


def _owned_device(user: User, device_id: str) -> Device:
    """The user's own device, or 404 (someone else's looks exactly like a missing one)."""
    device = db.session.execute(select(Device).where(Device.id == device_id, Device.user_id == user.id)
                                ).scalar_one_or_none()
    if device is None:
        raise not_found("device")
    return device


def _free_handle() -> str:
    """Seven random digits that no device has (a revoked one included). Random, not a sequence
    or a hash of the user: the handle must not say who the customer is or how many there are."""
    for _ in range(_HANDLE_ATTEMPTS):
        handle = f"{secrets.randbelow(10 ** payment_codes.HANDLE_DIGITS):07d}"
        if db.session.execute(select(Device.id).where(Device.handle == handle)).first() is None:
            return handle
    raise RuntimeError("no free device handle after several tries: the handle space is filling up")


def register_device(user: User, name: str) -> dict:
    """A new device and its seed. The seed is shown once, here; afterwards it is only kept encrypted."""
    if not user.verified:
        raise AppError(Code.NOT_VERIFIED, "verify your phone or e-mail before registering a device")
    prefix, period = _settings()
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends for HMAC-SHA1
    for attempt in range(_HANDLE_ATTEMPTS):
        try:
            with unit_of_work() as uow:
                active = db.session.execute(select(func.count()).select_from(Device).where(
                    Device.user_id == user.id, Device.revoked_at.is_(None))).scalar_one()
                if active >= MAX_ACTIVE_DEVICES:
                    raise AppError(Code.TOO_MANY_DEVICES,
                                   f"at most {MAX_ACTIVE_DEVICES} devices; revoke one first")
                device = Device(id=new_id("dev"), user_id=user.id, name=name, handle=_free_handle(),
                                secret=crypto.encrypt(secret), created_at=clock.now())
                db.session.add(device)
                uow.commit()
            break
        except IntegrityError:  # another registration took the same handle at the same moment
            if attempt == _HANDLE_ATTEMPTS - 1:
                raise
    return device_out(device) | {
        "secret": secret, "algorithm": payment_codes.ALGORITHM, "digits": payment_codes.DIGITS,
        "period": period, "prefix": prefix, "format": payment_codes.describe(prefix, period)}


def list_devices(user: User) -> list[dict]:
    """The user's devices that can still show codes, newest first."""
    rows = db.session.execute(select(Device).where(Device.user_id == user.id, Device.revoked_at.is_(None))
                              .order_by(Device.created_at.desc(), Device.id.desc())).scalars()
    return [device_out(d) for d in rows]


def revoke_device(user: User, device_id: str) -> None:
    """From now on its codes are refused, including ones already on a screen. Revoking twice is fine."""
    with unit_of_work() as uow:
        device = _owned_device(user, device_id)
        if device.revoked_at is None:
            device.revoked_at = clock.now()
        uow.commit()


def _slot_of(user: User, wallet_id: str) -> int:
    # The slot is the wallet's place in GET /wallets (the order of wallets_of), so the app can work it
    # out from the list it already has; wallets are never deleted, so a slot never moves.
    ids = [w.id for w in wallets_of(user)]
    return ids.index(wallet_id)


def current_code(user: User, wallet_id: str, device_id: str) -> dict:
    """The code the app would compute itself right now, with its barcode, for apps that ask."""
    wallet = owned_wallet(user, wallet_id)
    device = _owned_device(user, device_id)
    if device.revoked_at is not None:
        raise AppError(Code.DEVICE_REVOKED, "this device was revoked; register it again")
    if wallet.status != "active":
        raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
    slot = _slot_of(user, wallet.id)
    if slot > 9:
        raise AppError(Code.WALLET_SLOT_UNAVAILABLE, "only your first ten wallets can pay by code")
    prefix, period = _settings()
    now = clock.now().timestamp()
    code = payment_codes.make_code(prefix, device.handle, slot, crypto.decrypt(device.secret), now,
                                   period=period)
    next_period = (payment_codes.step_of(now, period) + 1) * period
    return {"code": code,
            # A new code from refresh_in; this one is still accepted until expires_in (one more period).
            "refresh_in": max(1, math.ceil(next_period - now)),
            "expires_in": max(1, math.ceil(next_period + period - now)),
            "barcode_svg": qr_svg(code)}


# --- resolving a scanned code (terminals) ---------------------------------------------------

def _failure_keys(caller: str) -> tuple[str, str]:
    return f"paycode:fail:{caller}", f"paycode:lock:{caller}"


def _refuse_if_locked(caller: str) -> None:
    _, lock_key = _failure_keys(caller)
    until = get_store().get(lock_key)
    if until is not None:
        seconds = max(1, math.ceil(float(until) - clock.now().timestamp()))
        raise AppError(Code.TOO_MANY_ATTEMPTS, "too many refused payment codes; try again later",
                       {"retry_after": seconds}, {"Retry-After": str(seconds)})


def _count_failure(caller: str) -> None:
    cfg = current_app.config
    window = cfg["PAYMENT_CODE_FAILURE_WINDOW"]
    fail_key, lock_key = _failure_keys(caller)
    store = get_store()
    if store.incr(fail_key, window) >= cfg["PAYMENT_CODE_MAX_FAILURES"]:
        # The lock holds its own end time, so Retry-After can say how long is left.
        store.set_nx(lock_key, window, value=str(clock.now().timestamp() + window))
        store.delete(fail_key)


def _refused(code: Code, message: str) -> AppError:
    return AppError(code, message)


def _matching_step(secret: str, otp: str, now: float, period: int) -> tuple[int | None, bool]:
    """(step, live): the step whose OTP equals `otp`, and whether that step is still accepted
    (the current or the previous one). Every candidate is compared, in constant time, so the
    time taken says nothing about which one (if any) matched."""
    current = payment_codes.step_of(now, period)
    found = None
    for step in range(current - EXPIRED_LOOKBACK_PERIODS, current + 1):
        if crypto.same(payment_codes.otp_at_step(secret, step, period), otp):
            found = step
    return found, found is not None and found >= current - 1


def _resolve(code: str) -> tuple[Account, Device]:
    prefix, period = _settings()
    parsed = payment_codes.parse_code(code, prefix)
    invalid = _refused(Code.PAYMENT_CODE_INVALID, "this is not a valid payment code")
    if parsed is None:
        raise invalid
    handle, slot, otp = parsed
    device = db.session.execute(select(Device).where(Device.handle == handle)).scalar_one_or_none()
    if device is None:
        raise invalid
    step, live = _matching_step(crypto.decrypt(device.secret), otp, clock.now().timestamp(), period)
    # Only a holder of a real code learns more than "invalid": unknown handle and wrong OTP look alike.
    if step is None:
        raise invalid
    if not live:
        raise _refused(Code.PAYMENT_CODE_EXPIRED, "this payment code has expired; show a fresh one")
    owner = db.session.get(User, device.user_id)
    if device.revoked_at is not None or owner is None or owner.status != "active":
        raise _refused(Code.PAYMENT_CODE_REVOKED, "this device can no longer pay")
    wallets = wallets_of(owner)
    if slot >= len(wallets):
        raise invalid
    account = wallets[slot]
    if account.status != "active":
        raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
    # Last, so only a code that is otherwise good is used up. The mark must outlive the two
    # periods in which the step is accepted; one more period covers clock differences.
    if not get_store().set_nx(f"paycode:used:{handle}:{step}", 3 * period):
        raise _refused(Code.PAYMENT_CODE_USED, "this payment code was already used; show a fresh one")
    return account, device


def resolve_payment_code(code: str, *, caller: str) -> tuple[Account, Device]:
    """The wallet a scanned code pays from, and the device that showed it. For terminals.

    `caller` names who presents the code (a terminal id): refused codes are counted per caller,
    and after PAYMENT_CODE_MAX_FAILURES within PAYMENT_CODE_FAILURE_WINDOW the caller is refused
    with 429 for a window, the right code included, so guessing does not pay. Refusals are 402
    (payment_code_invalid / _expired / _used / _revoked): the terminal shows "payment refused".
    Reads only; the store marks (used code, failures) commit on their own.
    """
    _refuse_if_locked(caller)
    try:
        return _resolve(code)
    except AppError:
        _count_failure(caller)
        raise

"""Scanned consumer payment codes (terminals): is this code good, and whose wallet does it pay from.

A scanned code is the customer's consent to one payment, so checking it is strict: only the
current and the previous period's code, once, and a terminal that keeps presenting wrong codes
is shut out for a while. The code space is 7 handle digits + 8 TOTP digits, so a guess at a live
device's code succeeds one time in 10**8 per accepted period; the per-caller failure limit keeps
the number of guesses small.

The check has two halves. Here, in Python: the code's shape, its device and its TOTP, because the
device's seed is encrypted at rest with DATA_ENCRYPTION_KEY and only the app holds that key (the
database must never see the key or a plain seed: not in its memory, its logs or
pg_stat_statements), and an HMAC per candidate step is cheap in Python. Then inside the payment's
own database call, payment_code_take (payment_code_take.sql): the device still pays, its owner is
active, the wallet in the code's slot, and the code taken once (the payment_codes_used row),
atomically with the payment: a code is used exactly when its payment, or its recorded refusal,
commits, and two terminals presenting it at once cannot both pay.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import select, text

from app.auth import crypto
from app.core import clock
from app.core.errors import AppError, Code
from app.core.store import get_store
from app.core.uow import single_statement
from app.extensions import db
from app.qr import payment_codes
from app.qr.devices.models import Device
from app.wallet.models import Account

# How far back a code that matches is told "expired" rather than "invalid": a stale screen, not a guess.
EXPIRED_LOOKBACK_PERIODS = 10

# What a scanned code may be refused for, with the terminal's message; every one of them counts
# against the terminal that presented it (guessing must not pay).
CODE_REFUSALS = {
    "payment_code_invalid": "this is not a valid payment code",
    "payment_code_expired": "this payment code has expired; show a fresh one",
    "payment_code_used": "this payment code was already used; show a fresh one",
    "payment_code_revoked": "this device can no longer pay",
    "wallet_frozen": "this wallet is frozen",
}
# handle -> (device id, owner, encrypted seed): facts that never change (a handle is never reused,
# a seed never rotated; revocation is checked by payment_code_take), so a charge need not read the
# device first. Bounded; only the encrypted seed is kept, decrypted per code.
_DEVICES: dict[str, tuple[str, str, str]] = {}
_DEVICES_MAX = 50_000


@dataclass(frozen=True)
class ScannedCode:
    refusal: str | None  # payment_code_invalid / _expired, or None: then payment_code_take decides
    device_id: str | None = None
    user_id: str | None = None
    step: int | None = None
    slot: int | None = None


def _failure_keys(caller: str) -> tuple[str, str]:
    return f"paycode:fail:{caller}", f"paycode:lock:{caller}"


def refuse_if_locked(caller: str) -> None:
    """429 for a caller (a terminal id) that presented PAYMENT_CODE_MAX_FAILURES refused codes
    within PAYMENT_CODE_FAILURE_WINDOW, the right code included, until the window ends."""
    _, lock_key = _failure_keys(caller)
    until = get_store().get(lock_key)
    if until is not None:
        seconds = max(1, math.ceil(float(until) - clock.now().timestamp()))
        raise AppError(Code.TOO_MANY_ATTEMPTS, "too many refused payment codes; try again later",
                       {"retry_after": seconds}, {"Retry-After": str(seconds)})


def count_failure(caller: str) -> None:
    cfg = current_app.config
    window = cfg["PAYMENT_CODE_FAILURE_WINDOW"]
    fail_key, lock_key = _failure_keys(caller)
    store = get_store()
    if store.incr(fail_key, window) >= cfg["PAYMENT_CODE_MAX_FAILURES"]:
        # The lock holds its own end time, so Retry-After can say how long is left.
        store.set_nx(lock_key, window, value=str(clock.now().timestamp() + window))
        store.delete(fail_key)


def _matching_step(secret: str, otp: str, now: float, period: int) -> tuple[int | None, bool]:
    """(step, live): the step whose OTP equals `otp`, and whether that step is still accepted
    (the current or the previous one). Every candidate is compared, in constant time, so the
    time taken says nothing about which one (if any) matched."""
    current = payment_codes.step_of(now, period)
    steps = range(current - EXPIRED_LOOKBACK_PERIODS, current + 1)
    found = None
    for step, candidate in zip(steps, payment_codes.otps_at_steps(secret, steps)):
        if crypto.same(candidate, otp):
            found = step
    return found, found is not None and found >= current - 1


# What a charge reads of a device it has not cached (app.pos.auth reads the same along with the terminal).
DEVICE_COLUMNS = (Device.id, Device.user_id, Device.secret)


def handle_to_read(code: object) -> str | None:
    """The handle of a well-formed code whose device is not cached, else None: for a caller that
    reads the database anyway before the code is checked (a terminal's own row, app.pos.auth), so
    that the device comes in the same round trip instead of one of its own (read_along)."""
    parsed = payment_codes.parse_code(code, current_app.config["PAYMENT_CODE_PREFIX"])
    return None if parsed is None or parsed[0] in _DEVICES else parsed[0]


def read_along(handle: str, row: tuple[str, str, str] | None) -> None:
    """What a caller read for `handle` (DEVICE_COLUMNS, None: no such device), kept for this request."""
    g.setdefault("devices_read", {})[handle] = row


def _device(handle: str) -> tuple[str, str, str] | None:
    known = _DEVICES.get(handle)
    if known is None:
        read = g.get("devices_read") or {}
        if handle in read:  # read along with the terminal: no round trip here
            row = read[handle]
        else:
            with single_statement() as connection:  # autocommit: one round trip, no BEGIN/ROLLBACK
                row = connection.execute(select(*DEVICE_COLUMNS).where(Device.handle == handle)).one_or_none()
        if row is None:
            return None  # not cached: the handle may be registered a moment later
        if len(_DEVICES) >= _DEVICES_MAX:
            _DEVICES.pop(next(iter(_DEVICES)))
        known = _DEVICES[handle] = tuple(row)
    return known


def forget_devices() -> None:
    """Empty the cache (tests that empty the database between tests)."""
    _DEVICES.clear()


def verify_payment_code(code: str) -> ScannedCode:
    """Python's half of checking a scanned code: its shape, its device, its TOTP step."""
    cfg = current_app.config
    prefix, period = cfg["PAYMENT_CODE_PREFIX"], cfg["PAYMENT_CODE_PERIOD"]
    parsed = payment_codes.parse_code(code, prefix)
    if parsed is None:
        return ScannedCode("payment_code_invalid")
    handle, slot, otp = parsed
    device = _device(handle)
    if device is None:
        return ScannedCode("payment_code_invalid")
    device_id, user_id, secret = device
    step, live = _matching_step(crypto.decrypt(secret), otp, clock.now().timestamp(), period)
    # Only a holder of a real code learns more than "invalid": unknown handle and wrong OTP look alike.
    if step is None:
        return ScannedCode("payment_code_invalid")
    if not live:
        return ScannedCode("payment_code_expired")
    return ScannedCode(None, device_id, user_id, step, slot)


_TAKE = text("SELECT * FROM payment_code_take(:device_id, :step, :slot, :now)")


def resolve_payment_code(code: str, *, caller: str) -> tuple[Account, Device]:
    """The wallet a scanned code pays from and the device that showed it, the code used up in a
    transaction of its own: for a caller that pays in a later step. The terminal endpoints do not
    use it: their one database call takes the code itself (pos_charge, vending_authorize).
    Refusals are 402 (CODE_REFUSALS) and count against `caller`, then 429 as refuse_if_locked."""
    refuse_if_locked(caller)
    scanned = verify_payment_code(code)
    refusal = scanned.refusal
    if refusal is None:
        params = {"device_id": scanned.device_id, "step": scanned.step, "slot": scanned.slot, "now": clock.now()}
        with single_statement() as connection:
            taken = connection.execute(_TAKE, params).one()
        refusal = taken.refusal
    if refusal == "payer_frozen":  # a true code of a frozen wallet: not a guess, not counted
        raise AppError(Code.PAYER_FROZEN, "the payer's wallet is frozen")
    if refusal is not None:
        count_failure(caller)
        raise AppError(Code(refusal), CODE_REFUSALS[refusal])
    return db.session.get(Account, taken.wallet_id), db.session.get(Device, scanned.device_id)

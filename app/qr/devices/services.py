"""Consumer payment codes: registering the devices that show them and the current code. A
terminal's scanned code is checked by app.qr.devices.scanning."""
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
from app.core.uow import unit_of_work
from app.extensions import db
from app.qr import payment_codes
from app.qr.devices.models import Device
from app.wallet.services import owned_wallet, wallets_of

# A handful of devices per person (phone, tablet, watch); more is a script filling the handle space.
MAX_ACTIVE_DEVICES = 10
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


def rename_device(user: User, device_id: str, name: str) -> dict:
    """A new name for a device the person still uses; a revoked one is gone from their list (404)."""
    with unit_of_work() as uow:
        device = _owned_device(user, device_id)
        if device.revoked_at is not None:
            raise not_found("device")
        device.name = name
        uow.commit()
    return device_out(device)


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

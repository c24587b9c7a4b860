"""Turning authenticator-app TOTP on and off."""
from __future__ import annotations

import pyotp

from app.auth import crypto, totp
from app.auth.models import RecoveryCode, User
from app.core.errors import AppError, Code
from app.core.uow import unit_of_work
from app.extensions import db


def setup(user: User) -> dict:
    """A fresh seed, kept encrypted; TOTP is not on until a code from it is shown (enable)."""
    if user.totp_enabled:
        raise AppError(Code.CONFLICT, "two-factor sign-in is already on; disable it first")
    secret = pyotp.random_base32()
    with unit_of_work() as uow:
        db.session.get(User, user.id).totp_secret = crypto.encrypt(secret)
        uow.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email or user.phone, issuer_name="Wallet")
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": totp.qr_svg(uri)}


def enable(user: User, code: str) -> dict:
    if user.totp_enabled:
        raise AppError(Code.CONFLICT, "two-factor sign-in is already on")
    if not user.totp_secret:
        raise AppError(Code.CONFLICT, "call /auth/totp/setup first")
    if not totp.check_totp(user, code):
        raise AppError(Code.MFA_INVALID, "the authenticator code is wrong")
    with unit_of_work() as uow:
        row = db.session.get(User, user.id)
        row.totp_enabled = True
        codes = totp.new_recovery_codes(row)
        uow.commit()
    return {"recovery_codes": codes}


def disable(user: User, code: str) -> None:
    if not user.totp_enabled:
        raise AppError(Code.CONFLICT, "two-factor sign-in is not on")
    if not totp.check_code_or_recovery(user, code):
        raise AppError(Code.MFA_INVALID, "the authenticator or recovery code is wrong")
    with unit_of_work() as uow:
        row = db.session.get(User, user.id)
        row.totp_enabled, row.totp_secret = False, None
        db.session.query(RecoveryCode).filter_by(user_id=row.id).delete()
        uow.commit()

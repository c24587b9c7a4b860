"""Authenticator-app codes (RFC 6238: 30 s, 6 digits, SHA-1, as Google Authenticator does).

A code is accepted one step early or late (valid_window=1) and only once: the step it matched
is remembered until it can no longer match.
"""
from __future__ import annotations

import io
import secrets

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import select

from app.auth import crypto
from app.auth.models import RecoveryCode, User
from app.core import clock
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db

STEP = 30
RECOVERY_CODES = 10


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (now // 30, +-1) whose code equals `code`, compared in constant time."""
    totp = pyotp.TOTP(secret)
    if not (len(code) == 6 and code.isdigit()):
        return None
    found = None
    for offset in (-1, 0, 1):
        step = int(now // STEP) + offset
        if crypto.same(totp.at(step * STEP), code):
            found = step
    return found


def check_totp(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    step = matching_step(crypto.decrypt(user.totp_secret), code, clock.now().timestamp())
    # A replayed code (same user, same step) is refused.
    return step is not None and get_store().set_nx(f"totp:used:{user.id}:{step}", 3 * STEP)


def check_code_or_recovery(user: User, code: str) -> bool:
    """A TOTP code, or a recovery code (used once; marked used in its own small transaction)."""
    code = code.strip()
    if check_totp(user, code):
        return True
    digest = crypto.keyed_digest("recovery", user.id, code.lower().replace("-", ""))
    with unit_of_work() as uow:
        row = db.session.execute(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None)).with_for_update()).scalar_one_or_none()
        if row is None:
            return False
        row.used_at = clock.now()
        uow.commit()
    return True


def new_recovery_codes(user: User) -> list[str]:
    """Inside a unit of work: replaces the user's recovery codes; returns them in the clear once."""
    db.session.query(RecoveryCode).filter_by(user_id=user.id).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=crypto.keyed_digest("recovery", user.id, raw)))
    return codes


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()

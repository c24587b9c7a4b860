"""One-time codes sent by SMS or e-mail: issued, delivered, checked. Runs inside a unit of work.

A code is six digits from pyotp (HOTP over a fresh random seed), stored only as a keyed digest,
valid OTP_TTL seconds, single use, and dead after OTP_MAX_ATTEMPTS wrong tries. Resending is
throttled (one per OTP_RESEND_INTERVAL) and capped per hour.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import func, select

from app.auth import crypto
from app.auth.identity import channel_for
from app.auth.models import OtpCode, User
from app.auth.senders import OtpMessage, SendError, build_sender
from app.core import clock
from app.core.ids import new_id
from app.extensions import db

log = logging.getLogger(__name__)


def _digest(otp_id: str, code: str) -> str:
    return crypto.keyed_digest("otp", otp_id, code)


def throttle_wait(user: User, purpose: str) -> int:
    """Seconds until another code may be sent (0: now). Caller holds the user's row lock."""
    cfg = current_app.config
    now = clock.now()
    recent = db.session.execute(
        select(func.count(), func.max(OtpCode.created_at))
        .where(OtpCode.user_id == user.id, OtpCode.purpose == purpose,
               OtpCode.created_at > now - timedelta(hours=1))).one()
    count, latest = recent
    if count >= cfg["OTP_MAX_PER_HOUR"]:
        return 3600
    if latest is not None:
        wait = cfg["OTP_RESEND_INTERVAL"] - (now - clock.as_utc(latest)).total_seconds()
        return max(0, int(wait) + (1 if wait % 1 else 0))
    return 0


def issue(user: User, purpose: str) -> tuple[OtpCode, str]:
    """A new code for `user`; earlier unused codes of the same purpose stop working."""
    channel, _ = channel_for(user)
    now = clock.now()
    for old in db.session.execute(select(OtpCode).where(
            OtpCode.user_id == user.id, OtpCode.purpose == purpose, OtpCode.consumed_at.is_(None))).scalars():
        old.consumed_at = now
    code = pyotp.HOTP(pyotp.random_base32(), digits=6).at(0)
    row = OtpCode(id=new_id("otp"), user_id=user.id, purpose=purpose, channel=channel, attempts=0,
                  expires_at=now + timedelta(seconds=current_app.config["OTP_TTL"]), created_at=now)
    row.code_hash = _digest(row.id, code)
    db.session.add(row)
    return row, code


def check(user: User | None, purpose: str, code: str) -> tuple[bool, OtpCode | None]:
    """(ok, the code row). A wrong guess counts against the code; the caller commits either way."""
    if user is None:
        return False, None
    row = db.session.execute(
        select(OtpCode).where(OtpCode.user_id == user.id, OtpCode.purpose == purpose,
                              OtpCode.consumed_at.is_(None))
        .order_by(OtpCode.created_at.desc()).limit(1).with_for_update()).scalar_one_or_none()
    # An expired code is refused as a wrong one is: a distinct "expired" would tell that the
    # identifier has an account (an unknown one never has a code to expire).
    if row is None or row.attempts >= current_app.config["OTP_MAX_ATTEMPTS"]:
        return False, row
    if clock.as_utc(row.expires_at) <= clock.now():
        return False, row
    if not crypto.same(row.code_hash, _digest(row.id, code)):
        row.attempts += 1
        return False, row
    row.consumed_at = clock.now()
    return True, row


def _send(message: OtpMessage, who: str) -> None:
    sender = current_app.extensions.get("otp_sender")
    if sender is None:
        sender = current_app.extensions["otp_sender"] = build_sender(current_app.config["OTP_SENDER"],
                                                                     current_app.config)
    try:
        sender.send(message)
    except SendError:
        log.warning("%s delivery failed for %s over %s", message.purpose, who, message.channel, exc_info=True)


def deliver(user: User, purpose: str, code: str) -> None:
    """Send after the commit; a failed delivery is logged and the person can ask again."""
    channel, destination = channel_for(user)
    minutes = current_app.config["OTP_TTL"] // 60
    text = f"Your Wallet code is {code}. It expires in {minutes} minutes. Never share it."
    _send(OtpMessage(to=destination, channel=channel, purpose=purpose, code=code, message=text), f"user {user.id}")


def notify_account_exists(channel: str, destination: str, user_id: str) -> None:
    """Someone signed up with a phone or e-mail that already has an account: its owner hears
    about it (instead of a code), and the sign-up answer says nothing."""
    what = "phone number" if channel == "sms" else "e-mail address"
    text = (f"Someone, perhaps you, tried to sign up for Wallet with this {what}, which already has an "
            "account. Sign in with your password, or ask for a one-time code in the app. If it was not "
            "you, ignore this message.")
    _send(OtpMessage(to=destination, channel=channel, purpose="account_exists", code="", message=text),
          f"user {user_id}")

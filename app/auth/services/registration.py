"""Sign-up and verification of the phone or e-mail address."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.auth import crypto, otp
from app.auth.events import account_verified
from app.auth.identity import channel_for, find_user
from app.auth.models import User
from app.auth.passwords import password_problem
from app.auth.services.sessions import open_session
from app.core import clock
from app.core.errors import AppError, Code
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db


def register(*, phone: str | None, email: str | None, password: str, name: str) -> dict:
    problem = password_problem(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                               personal=[name, *(email or "").split("@")[:1], (phone or "")[-6:]])
    if problem:
        raise AppError(Code.WEAK_PASSWORD, f"password too weak: {problem}")
    password_hash = crypto.hash_secret(password)  # slow: done before the transaction opens
    try:
        with unit_of_work() as uow:
            same_address = [column == value for column, value in ((User.phone, phone), (User.email, email)) if value]
            if db.session.execute(select(User.id).where(or_(*same_address))).first():
                raise AppError(Code.ALREADY_EXISTS, "an account with this phone or e-mail already exists")
            user = User(id=new_id("usr"), phone=phone, email=email, name=name, password_hash=password_hash,
                        role="user", status="active", totp_enabled=False, created_at=clock.now())
            db.session.add(user)
            db.session.flush()
            _, code = otp.issue(user, "verify")
            uow.commit()
    except IntegrityError:
        raise AppError(Code.ALREADY_EXISTS, "an account with this phone or e-mail already exists") from None
    otp.deliver(user, "verify", code)
    channel, _ = channel_for(user)
    return {"user": user, "verification": {"channel": channel, "expires_in": current_app.config["OTP_TTL"]}}


def verify(*, identifier: str, code: str, device_name: str | None, ip: str | None) -> dict:
    """The code from sign-up proves the address: the account is verified, gets its first wallet
    in DEFAULT_CURRENCY, and is signed in."""
    with unit_of_work() as uow:
        user = find_user(identifier)
        # An already verified account answers like a wrong code: the endpoint must not tell
        # who has an account.
        ok, _ = otp.check(user if user is not None and not user.verified else None, "verify", code)
        if not ok:
            uow.commit()  # keep the counted failure
            raise AppError(Code.OTP_INVALID, "the code is wrong or no longer valid")
        user.verified_at = clock.now()
        account_verified.send(user)  # the wallet opens the first wallet in this unit of work
        tokens = open_session(user, device_name, ip)
        uow.commit()
    return tokens


def request_code(*, identifier: str) -> None:
    """Send a verification code (unverified account) or a log-in code (verified one).

    Always answers the same way, so the endpoint does not reveal who has an account; throttled
    requests are dropped silently for the same reason.
    """
    with unit_of_work() as uow:
        user = find_user(identifier)
        if user is None or user.status != "active":
            return
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())  # serialise resends
        purpose = "login" if user.verified else "verify"
        if otp.throttle_wait(user, purpose) > 0:
            return
        _, code = otp.issue(user, purpose)
        uow.commit()
    otp.deliver(user, purpose, code)

"""Sign-up and verification of the phone or e-mail address."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth import crypto, otp
from app.auth.events import account_verified
from app.auth.identity import channel_for, find_user
from app.auth.models import User
from app.auth.passwords import password_problem
from app.auth.services.sessions import open_session
from app.core import clock
from app.core.after_response import after_response
from app.core.errors import AppError, Code
from app.core.ids import new_id
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db


def register(*, phone: str | None, email: str | None, password: str, name: str) -> dict:
    """Sign up. The answer depends on the request alone, so it cannot tell who has an account:
    the same 201, the same body and the same work before it, for a new phone or e-mail and for a
    known one. The account is made after the answer (`after_response`): a new identifier gets its
    code then; a known one gets "you already have an account" instead, no account is made, and the
    `user.id` answered is never stored."""
    problem = password_problem(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                               personal=[name, *(email or "").split("@")[:1], (phone or "")[-6:]])
    if problem:
        raise AppError(Code.WEAK_PASSWORD, f"password too weak: {problem}")
    user = User(id=new_id("usr"), phone=phone, email=email, name=name, role="user", status="active",
                totp_enabled=False, created_at=clock.now())  # not added to the session: what the answer shows
    after_response(_create_or_notify, user_id=user.id, phone=phone, email=email, password=password, name=name,
                   created_at=user.created_at)
    channel, _ = channel_for(user)
    return {"user": user, "verification": {"channel": channel, "expires_in": current_app.config["OTP_TTL"]}}


def _taken(phone: str | None, email: str | None) -> list[tuple[str, str, str]]:
    """(channel, destination, user id) for each of the given identifiers that has an account."""
    taken = []
    for channel, column, value in (("sms", User.phone, phone), ("email", User.email, email)):
        if value:
            user_id = db.session.execute(select(User.id).where(column == value)).scalar_one_or_none()
            if user_id is not None:
                taken.append((channel, value, user_id))
    return taken


def _create_or_notify(*, user_id: str, phone: str | None, email: str | None, password: str, name: str,
                      created_at) -> None:
    """After the answer: make the account and send its code, or tell the known identifiers' owners."""
    taken = _taken(phone, email)
    db.session.rollback()  # end the read before the slow hash
    if not taken:
        password_hash = crypto.hash_secret(password)  # slow: done before the transaction opens
        try:
            with unit_of_work() as uow:
                user = User(id=user_id, phone=phone, email=email, name=name, password_hash=password_hash,
                            role="user", status="active", totp_enabled=False, created_at=created_at)
                db.session.add(user)
                db.session.flush()
                _, code = otp.issue(user, "verify")
                uow.commit()
        except IntegrityError:  # the same phone or e-mail signed up a moment ago
            taken = _taken(phone, email)
            db.session.rollback()
        else:
            otp.deliver(user, "verify", code)
            return
    store, interval = get_store(), current_app.config["OTP_RESEND_INTERVAL"]
    for channel, destination, owner in taken:
        # at most one notice per OTP_RESEND_INTERVAL, so sign-ups cannot flood the owner
        if store.set_nx("signup:notice:" + crypto.keyed_digest("notice", destination), interval):
            otp.notify_account_exists(channel, destination, owner)


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

    Nothing is looked up before the answer: the work runs after it (`after_response`), so neither
    the answer nor its time tells who has an account; throttled requests are dropped silently
    for the same reason.
    """
    after_response(_send_code, identifier=identifier)


def _send_code(*, identifier: str) -> None:
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

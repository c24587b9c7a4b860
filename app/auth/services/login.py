"""Signing in: password (then TOTP when enabled), or a one-time code by SMS or e-mail.

Wrong passwords and unknown identifiers get the same answer, in the same time (argon2 runs
against a dummy hash), and both count towards the same per-identifier lockout.
"""
from __future__ import annotations

from flask import current_app

from app.auth import crypto, otp, tokens, totp
from app.auth.identity import find_user, normalize
from app.auth.models import User
from app.auth.services.sessions import open_session
from app.core.errors import AppError, Code
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db


def _lock_keys(identifier: str) -> tuple[str, str]:
    digest = crypto.keyed_digest("login", normalize(identifier))
    return f"login:fail:{digest}", f"login:lock:{digest}"


def _refuse_if_locked(identifier: str) -> None:
    _, lock_key = _lock_keys(identifier)
    if get_store().exists(lock_key):
        seconds = current_app.config["LOGIN_LOCK_SECONDS"]
        raise AppError(Code.ACCOUNT_LOCKED, "too many failed attempts; try again later",
                       {"retry_after": seconds}, {"Retry-After": str(seconds)})


def _count_failure(identifier: str) -> None:
    cfg = current_app.config
    fail_key, lock_key = _lock_keys(identifier)
    store = get_store()
    if store.incr(fail_key, cfg["LOGIN_LOCK_SECONDS"]) >= cfg["LOGIN_MAX_FAILURES"]:
        store.set(lock_key, cfg["LOGIN_LOCK_SECONDS"])
        store.delete(fail_key)


def _invalid() -> AppError:
    return AppError(Code.INVALID_CREDENTIALS, "the identifier or password is wrong")


def login(*, identifier: str, password: str, device_name: str | None, ip: str | None) -> dict:
    _refuse_if_locked(identifier)
    user = find_user(identifier)
    ok = crypto.verify_secret(user.password_hash if user else None, password)
    if not ok or user is None or user.status != "active":
        _count_failure(identifier)
        raise _invalid()
    get_store().delete(_lock_keys(identifier)[0])
    if user.totp_enabled:
        mfa_token, _ = tokens.issue("mfa", sub=user.id, role=user.role)
        return {"mfa_required": True, "mfa_token": mfa_token}
    return _sign_in(user, device_name, ip)


def _sign_in(user: User, device_name: str | None, ip: str | None) -> dict:
    with unit_of_work() as uow:
        pair = open_session(user, device_name, ip)
        uow.commit()
    return pair


def login_mfa(*, mfa_token: str, code: str, device_name: str | None, ip: str | None) -> dict:
    """Second step: a TOTP code, or one unused recovery code. The MFA token dies after
    OTP_MAX_ATTEMPTS wrong codes and after its first success."""
    claims = tokens.decode(mfa_token, "mfa")
    store = get_store()
    if store.exists(f"mfa:used:{claims['jti']}"):
        raise AppError(Code.TOKEN_REVOKED, "this sign-in step was already completed; start again")
    user = db.session.get(User, claims["sub"])
    if user is None or user.status != "active" or not user.totp_enabled:
        raise AppError(Code.TOKEN_INVALID, "the token is not valid")
    if not totp.check_code_or_recovery(user, code):
        if store.incr(f"mfa:fail:{claims['jti']}", 300) >= current_app.config["OTP_MAX_ATTEMPTS"]:
            store.set(f"mfa:used:{claims['jti']}", 300)
        raise AppError(Code.MFA_INVALID, "the authenticator or recovery code is wrong")
    if not store.set_nx(f"mfa:used:{claims['jti']}", 300):
        raise AppError(Code.TOKEN_REVOKED, "this sign-in step was already completed; start again")
    return _sign_in(user, device_name, ip)


def otp_login(*, identifier: str, code: str, device_name: str | None, ip: str | None) -> dict:
    """Passwordless sign-in with a code from /auth/otp/request (verified accounts)."""
    _refuse_if_locked(identifier)
    with unit_of_work() as uow:
        user = find_user(identifier)
        ok, _ = otp.check(user if user is not None and user.verified else None, "login", code)
        if not ok:
            uow.commit()  # keep the counted failure on the code
        else:
            if user.totp_enabled:
                uow.commit()
                mfa_token, _ = tokens.issue("mfa", sub=user.id, role=user.role)
                return {"mfa_required": True, "mfa_token": mfa_token}
            pair = open_session(user, device_name, ip)
            uow.commit()
            return pair
    _count_failure(identifier)
    raise AppError(Code.OTP_INVALID, "the code is wrong or no longer valid")

"""Signing in: password (then TOTP when enabled), or a one-time code by SMS or e-mail.

Wrong passwords and unknown identifiers get the same answer, in the same time (argon2 runs
against a dummy hash), and both count towards the same lockout: per identifier, and per account
(all of its identifiers; an unknown identifier counts as an account of its own).
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


def _account_keys(identifier: str, user: User | None) -> tuple[str, str]:
    """The account's failure counter and lock, shared by all its identifiers. An unknown
    identifier stands for an account of its own, so both cases do the same store work."""
    owner = f"usr:{user.id}" if user is not None else "id:" + crypto.keyed_digest("login", normalize(identifier))
    return f"login:fail:{owner}", f"login:lock:{owner}"


def _locks(identifier: str, user: User | None) -> tuple[bool, bool]:
    """(this identifier is locked, its account is locked): one round trip to the store."""
    return tuple(get_store().which_exist([_lock_keys(identifier)[1], _account_keys(identifier, user)[1]]))


def _locked() -> AppError:
    seconds = current_app.config["LOGIN_LOCK_SECONDS"]
    return AppError(Code.ACCOUNT_LOCKED, "too many failed attempts; try again later",
                    {"retry_after": seconds}, {"Retry-After": str(seconds)})


def _count_failure(identifier: str, user: User | None) -> None:
    """A failure counts for the identifier tried and for its account (all its identifiers).
    LOGIN_MAX_FAILURES on either locks it; the identifier whose failure locks the account is
    locked with it. A locked account's lock is not extended by further tries."""
    cfg = current_app.config
    ttl, most = cfg["LOGIN_LOCK_SECONDS"], cfg["LOGIN_MAX_FAILURES"]
    fail_key, lock_key = _lock_keys(identifier)
    account_fail, account_lock = _account_keys(identifier, user)
    store = get_store()
    lock_identifier = store.incr(fail_key, ttl) >= most
    if store.incr(account_fail, ttl) >= most:
        store.delete(account_fail)
        if store.set_nx(account_lock, ttl):
            lock_identifier = True
    if lock_identifier:
        store.set(lock_key, ttl)
        store.delete(fail_key)


def _clear_failures(identifier: str, user: User) -> None:
    store = get_store()
    store.delete(_lock_keys(identifier)[0])
    store.delete(_account_keys(identifier, user)[0])


def _invalid() -> AppError:
    return AppError(Code.INVALID_CREDENTIALS, "the identifier or password is wrong")


def login(*, identifier: str, password: str, device_name: str | None, ip: str | None) -> dict:
    user = find_user(identifier)
    identifier_locked, account_locked = _locks(identifier, user)
    if identifier_locked:
        raise _locked()
    # While the account is locked (through another of its identifiers) this one answers as a wrong
    # password does, right password included: "locked" here would tell which phone and e-mail belong
    # together. argon2 runs all the same, so the time does not tell either.
    ok = crypto.verify_secret(user.password_hash if user else None, password)
    if account_locked or not ok or user is None or user.status != "active":
        _count_failure(identifier, user)
        raise _invalid()
    _clear_failures(identifier, user)
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
    with unit_of_work() as uow:
        user = find_user(identifier)
        identifier_locked, account_locked = _locks(identifier, user)
        if identifier_locked:
            raise _locked()
        eligible = user is not None and user.verified and not account_locked
        ok, _ = otp.check(user if eligible else None, "login", code)
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
    _count_failure(identifier, user)
    raise AppError(Code.OTP_INVALID, "the code is wrong or no longer valid")

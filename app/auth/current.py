"""Who is making this request: the bearer access token, checked on every request.

Revocation lives in the store (Redis, or the database in the embedded default) under the
session id, so a logged-out or stolen session stops working at once, not when its token expires.
"""
from __future__ import annotations

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag

from app.auth import tokens
from app.auth.models import User
from app.core import clock
from app.core.errors import AppError, Code
from app.core.store import get_store
from app.core.uow import end_read
from app.extensions import db


def revoked_key(session_id: str) -> str:
    return f"revoked:sid:{session_id}"


def pin_lock_key(user_id: str) -> str:
    return f"pin:lock:{user_id}"


def known_pin_lock(user_id: str) -> bool | None:
    """Whether `user_id`'s payments are PIN-locked, as read with this request's authentication
    (None when this request did not read it: another user, or no signed-in user)."""
    claims = g.get("claims")
    return g.get("pin_locked") if claims is not None and claims.get("sub") == user_id else None


def authenticate() -> None:
    """before_request hook of every blueprint that needs a signed-in user."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AppError(Code.UNAUTHORIZED, "sign in: send Authorization: Bearer <access token>")
    claims = tokens.decode(token.strip(), "access")
    if not claims.get("sid"):
        raise AppError(Code.TOKEN_REVOKED, "this session has ended; sign in again")
    # One round trip to the store for what every request may need: is the session revoked, and
    # are this user's payments locked by wrong PINs (app.auth.services.pin reads the answer).
    revoked, g.pin_locked = get_store().which_exist([revoked_key(claims["sid"]), pin_lock_key(claims["sub"])])
    if revoked:
        raise AppError(Code.TOKEN_REVOKED, "this session has ended; sign in again")
    # The user row is read when an endpoint first asks for it (current_user): a payment does not
    # need it, its database function checks the user's status itself.
    g.user, g.claims = None, claims


def current_user_id() -> str:
    return g.claims["sub"]


def inactive_user() -> AppError:
    """A valid token of a user who is gone or disabled (read with the user row, or with a join)."""
    return AppError(Code.TOKEN_INVALID, "the token is not valid")


def current_user() -> User:
    """The signed-in user, loaded once per request; a disabled or deleted one is refused."""
    if g.user is None:
        user = db.session.get(User, g.claims["sub"])
        if user is None or user.status != "active":
            raise inactive_user()
        # Detach the user and end the read transaction: the connection goes back to the pool at
        # once, and a unit of work's fresh start does not expire (and re-select) the user.
        # Services that change the user load their own copy inside their unit of work.
        db.session.expunge(user)
        end_read()
        g.user = user
    return g.user


def current_claims() -> dict:
    return g.claims


def require_fresh_sign_in(seconds: int) -> None:
    """403 fresh_sign_in_required unless this request's session signed in (password or OTP, and
    MFA: a new session) within `seconds`. The access token carries its session's auth_time, which
    refreshing keeps: a stolen refresh token cannot make itself fresh. A token without it (issued
    before the claim existed) is not fresh."""
    signed_in = g.claims.get("auth_time")
    if not isinstance(signed_in, int) or clock.now().timestamp() - signed_in > seconds:
        raise AppError(Code.FRESH_SIGN_IN_REQUIRED, f"sign in again: this needs a sign-in within the last {seconds // 60} minutes",
                       {"max_age_seconds": seconds})


def user_blueprint(name: str, import_name: str, tag: str, url_prefix: str = "/api/v1") -> APIBlueprint:
    """A blueprint whose every endpoint needs a signed-in user (a bearer access token)."""
    blueprint = APIBlueprint(name, import_name, url_prefix=url_prefix, abp_security=[{"bearer": []}],
                             abp_tags=[Tag(name=tag)])
    blueprint.before_request(authenticate)
    return blueprint

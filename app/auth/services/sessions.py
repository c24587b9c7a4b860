"""Sessions: one per signed-in device, with rotating refresh tokens and theft detection."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth import tokens
from app.auth.current import revoked_key
from app.auth.models import AuthSession, User
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.store import get_store
from app.core.uow import unit_of_work
from app.extensions import db


def open_session(user: User, device_name: str | None, ip: str | None) -> dict:
    """Inside a unit of work: a new session and its first token pair."""
    now = clock.now()
    session = AuthSession(id=new_id("ses"), user_id=user.id, device_name=(device_name or "unknown device")[:100],
                          ip_address=ip, refresh_jti=new_id("jti"), created_at=now, last_used_at=now,
                          expires_at=now + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]))
    db.session.add(session)
    return _token_pair(user, session)


def _token_pair(user: User, session: AuthSession) -> dict:
    access, _ = tokens.issue("access", sub=user.id, role=user.role, sid=session.id,
                             auth_time=int(clock.as_utc(session.created_at).timestamp()))  # the sign-in's time
    refresh, _ = tokens.issue("refresh", sub=user.id, role=user.role, sid=session.id, jti=session.refresh_jti)
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": current_app.config["ACCESS_TOKEN_TTL"]}


def _revoke_in_store(session_id: str) -> None:
    # Access tokens live ACCESS_TOKEN_TTL; the mark must outlive the last one issued.
    ttl = current_app.config["ACCESS_TOKEN_TTL"] + current_app.config["JWT_LEEWAY"] + 60
    get_store().set(revoked_key(session_id), ttl)


def refresh(refresh_token: str) -> dict:
    """Rotate: the presented refresh token dies. Presenting a dead one again ends the session,
    since only a thief or a replay would hold an old token after its owner rotated it."""
    claims = tokens.decode(refresh_token, "refresh")
    stolen = False
    with unit_of_work() as uow:
        session = db.session.execute(select(AuthSession).where(AuthSession.id == claims.get("sid"))
                                     .with_for_update()).scalar_one_or_none()
        user = db.session.get(User, claims["sub"])
        if session is None or user is None or session.user_id != user.id or user.status != "active":
            raise AppError(Code.TOKEN_INVALID, "the token is not valid")
        if session.revoked_at is not None or clock.as_utc(session.expires_at) <= clock.now():
            raise AppError(Code.TOKEN_REVOKED, "this session has ended; sign in again")
        if session.refresh_jti != claims["jti"]:
            session.revoked_at, session.revoked_reason = clock.now(), "refresh_token_reused"
            stolen = True
        else:
            session.refresh_jti = new_id("jti")
            session.last_used_at = clock.now()
            pair = _token_pair(user, session)
        uow.commit()
    if stolen:
        _revoke_in_store(session.id)
        raise AppError(Code.TOKEN_REVOKED, "this refresh token was already used; the session has been ended")
    return pair


def end_session(user: User, session_id: str, reason: str = "logout") -> None:
    with unit_of_work() as uow:
        session = db.session.execute(select(AuthSession).where(
            AuthSession.id == session_id, AuthSession.user_id == user.id)).scalar_one_or_none()
        if session is None:
            raise not_found("session")
        if session.revoked_at is None:
            session.revoked_at, session.revoked_reason = clock.now(), reason
        uow.commit()
    _revoke_in_store(session_id)


def list_sessions(user: User, current_session_id: str | None) -> list[dict]:
    rows = db.session.execute(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                                  AuthSession.expires_at > clock.now())
        .order_by(AuthSession.last_used_at.desc())).scalars()
    return [{"id": s.id, "device_name": s.device_name, "ip_address": s.ip_address,
             "created_at": clock.as_utc(s.created_at), "last_used_at": clock.as_utc(s.last_used_at),
             "current": s.id == current_session_id} for s in rows]

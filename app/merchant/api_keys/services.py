"""Merchant API keys: staff create, list and revoke them; the merchant's servers sign in with them.

A key is "mk_" + 40 random URL-safe characters (240 bits), shown once. We keep only its keyed
digest (HMAC-SHA256 with HASH_PEPPER): a high-entropy secret needs no slow hash, the lookup is
one indexed read, and a stolen table cannot be turned back into keys without the pepper.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from app.auth import crypto
from app.auth.models import User
from app.core import audit, clock
from app.core.errors import not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.api_keys.models import ApiKey
from app.merchant.services import staff_merchant

KEY_PREFIX = "mk_"
SHOWN_PREFIX = 11  # "mk_" + 8 characters: enough to tell a merchant's keys apart, useless to guess
LAST_USED_EVERY = timedelta(minutes=1)


def digest(key: str) -> str:
    return crypto.keyed_digest("api_key", key)


def key_out(key: ApiKey) -> dict:
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "created_at": clock.iso(key.created_at),
            "last_used_at": clock.iso(key.last_used_at), "revoked_at": clock.iso(key.revoked_at)}


def create_key(user: User, merchant_id: str, *, name: str) -> dict:
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="api_keys")
        plain = KEY_PREFIX + secrets.token_urlsafe(30)  # 30 bytes -> 40 characters
        key = ApiKey(id=new_id("key"), merchant_id=merchant.id, name=name, prefix=plain[:SHOWN_PREFIX],
                     key_hash=digest(plain), created_by=user.id, created_at=clock.now())
        db.session.add(key)
        audit.record("merchant_staff", user.id, "api_key.create", "api_key", key.id,
                     after={"merchant_id": merchant.id, "name": name, "prefix": key.prefix})
        uow.commit()
    return {"id": key.id, "name": key.name, "key": plain, "prefix": key.prefix, "created_at": clock.iso(key.created_at)}


def list_keys(user: User, merchant_id: str) -> list[dict]:
    """Revoked keys included (with revoked_at): the list is also the record of what existed."""
    merchant = staff_merchant(user, merchant_id, may="api_keys")
    rows = db.session.execute(select(ApiKey).where(ApiKey.merchant_id == merchant.id)
                              .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).scalars()
    return [key_out(key) for key in rows]


def revoke_key(user: User, merchant_id: str, key_id: str) -> None:
    """Revoked at once: the next request with it is refused. Revoking twice keeps the first time."""
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="api_keys")
        key = db.session.execute(select(ApiKey).where(ApiKey.id == key_id, ApiKey.merchant_id == merchant.id)
                                 ).scalar_one_or_none()
        if key is None:
            raise not_found("API key")
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            audit.record("merchant_staff", user.id, "api_key.revoke", "api_key", key.id,
                         before={"revoked_at": None},
                         after={"merchant_id": merchant.id, "revoked_at": clock.iso(key.revoked_at)})
        uow.commit()


def find_active(plain: str) -> ApiKey | None:
    """The unrevoked key whose digest matches, else None. Read only."""
    wanted = digest(plain)
    key = db.session.execute(select(ApiKey).where(ApiKey.key_hash == wanted)).scalar_one_or_none()
    # The lookup by digest already compares nothing secret in variable time; the final check is
    # constant-time anyway, so no later change to the lookup can open a timing side channel.
    if key is None or not crypto.same(key.key_hash, wanted) or key.revoked_at is not None:
        return None
    return key


def touch(key_id: str) -> None:
    """Record use at most once a minute: one conditional UPDATE, so busy servers do not turn
    every request into a write, and concurrent requests do not race (the WHERE decides)."""
    now = clock.now()
    with unit_of_work() as uow:
        db.session.execute(update(ApiKey).where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_EVERY))
            .values(last_used_at=now))
        uow.commit()


def due_for_touch(key: ApiKey) -> bool:
    return key.last_used_at is None or clock.as_utc(key.last_used_at) <= clock.now() - LAST_USED_EVERY

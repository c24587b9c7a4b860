"""Helpers for the authentication tests: moving time for the store too, and hand-made tokens."""
from __future__ import annotations

import base64
import json

import jwt
import pyotp

from app.core import clock
from app.core.store import RedisStore


def advance(app, seconds: float) -> None:
    """Move the app's clock, and age the store's keys by as much.

    The database store reads app.core.clock, so moving the clock is enough there. Redis expires
    keys on its own wall clock, so there every key of this run is aged by hand: its remaining
    time shrinks by `seconds`, and a key that would have run out is deleted.
    """
    clock.advance(seconds)
    store = app.extensions["store"]
    if not isinstance(store, RedisStore):
        return
    for key in list(store.client.scan_iter(store.prefix + "*")):
        remaining_ms = store.client.pttl(key)
        if remaining_ms < 0:  # no expiry, or already gone
            continue
        left = remaining_ms - int(seconds * 1000)
        if left <= 0:
            store.client.delete(key)
        else:
            store.client.pexpire(key, left)


def totp_now(secret: str) -> str:
    """The authenticator-app code at the app's (movable) time."""
    return pyotp.TOTP(secret).at(clock.now())


def next_totp(app, secret: str) -> str:
    """A code from the next 30 s step, so it is not refused as a replay of an earlier step's code."""
    advance(app, 30)
    return totp_now(secret)


def b64url(data: bytes | dict) -> str:
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(app, claims: dict, *, secret: str | None = None, kid: str | None = None, algorithm: str = "HS256") -> str:
    """A token signed with the app's first key unless another secret or kid is given."""
    first_kid, first_secret = app.config["JWT_KEYS"][0]
    return jwt.encode(claims, secret or first_secret, algorithm=algorithm, headers={"kid": kid or first_kid})


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


"""The server's side of certificates: which issuer key signs, what terminals are told.

Keys come from PURSE_ISSUER_KEYS (app/config.py): the first signs, all are published, so a
certificate outlives a rotation until it expires. Terminals keep the public keys and the short
revocation list from /pos/config while they are online, and check certificates with them offline.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.core import clock
from app.core.errors import AppError, Code
from app.extensions import db
from app.pos.purse import certs
from app.pos.purse.models import Purse

REVOKED_LISTED = 200  # at most this many (newest first): a short list a terminal can keep


def keys() -> dict[str, bytes]:
    return dict(current_app.config["PURSE_ISSUER_KEYS"])


def signing_key() -> tuple[str, bytes]:
    configured = current_app.config["PURSE_ISSUER_KEYS"]
    if not configured:
        raise AppError(Code.PURSES_UNAVAILABLE, "offline purses are not configured on this server")
    return configured[0]


def public_keys() -> list[dict]:
    return [{"kid": kid, "public_key": certs.public_key(seed)} for kid, seed in current_app.config["PURSE_ISSUER_KEYS"]]


def certificate(purse: Purse) -> dict:
    """The certificate as signed when the purse was issued (its fields are the purse's own)."""
    cert = {"purse_id": purse.id, "device_key": purse.device_key, "currency": purse.currency,
            "allowance": purse.allowance, "max_payment": purse.max_payment,
            "valid_until": int(purse.valid_until.timestamp()), "kid": purse.issuer_kid}
    return cert | {"signature": purse.signature}


def sign(cert: dict) -> str:
    return certs.sign(keys()[cert["kid"]], certs.cert_message(cert))


def config_section() -> dict:
    """The "purse" section of /pos/config: issuer keys, and purses no longer to be accepted
    (closed or frozen, not yet expired: an expired one is refused by its own valid_until)."""
    revoked = db.session.execute(
        select(Purse.id).where(Purse.status != "active", Purse.valid_until > clock.now())
        .order_by(Purse.closed_at.desc().nulls_first()).limit(REVOKED_LISTED)).scalars().all()
    return {"issuer_keys": public_keys(), "revoked": list(revoked)}

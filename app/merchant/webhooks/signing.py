"""Standard Webhooks signing (https://www.standardwebhooks.com), pure: no Flask, no database.

A merchant verifies what we send with the `standardwebhooks` library in any language:

    webhook-id         the event id ("msg_..."): the same on every retry, so receivers de-duplicate
    webhook-timestamp  unix seconds of this attempt (receivers refuse ones more than 5 min away)
    webhook-signature  "v1," + base64(HMAC-SHA256(secret bytes, f"{id}.{timestamp}.{body}"))
                       one per secret, space-separated, while a rotated-out secret still signs:
                       "v1,<with the new secret> v1,<with the previous one>" (the specification
                       lets a receiver accept any one signature that verifies with its secret)

The secret is "whsec_" + base64 of random bytes; the HMAC key is those bytes, not the text.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    raw = secret[len(SECRET_PREFIX):]
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def body(type: str, timestamp: datetime, data: dict) -> str:
    """The JSON body. Built from the stored event alone, so every retry sends the same bytes."""
    return json.dumps({"type": type, "timestamp": timestamp.isoformat(), "data": data},
                      separators=(",", ":"), sort_keys=True)


def signature(secret: str, msg_id: str, timestamp: int, payload: str) -> str:
    digest = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.{payload}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(signing_secrets: str | Sequence[str], msg_id: str, timestamp: int, payload: str) -> dict[str, str]:
    """One secret, or several (the current one first) during a rotation's grace period."""
    keys = (signing_secrets,) if isinstance(signing_secrets, str) else tuple(signing_secrets)
    if not keys:
        raise ValueError("at least one secret signs a webhook")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signature(key, msg_id, timestamp, payload) for key in keys),
            "content-type": "application/json", "user-agent": "wallet-webhooks/1"}

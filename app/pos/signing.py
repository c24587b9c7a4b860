"""How a terminal signs a request. Pure: the same code signs in the tests and in the README.

    string_to_sign = METHOD "\\n" PATH_WITH_QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(body))
    X-Signature    = lower-case hex(HMAC-SHA256(secret, string_to_sign))
"""
from __future__ import annotations

import hashlib
import hmac

MAX_SKEW_SECONDS = 300
MIN_NONCE_LENGTH = 16


def string_to_sign(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path_with_query, timestamp, nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.lower().encode())

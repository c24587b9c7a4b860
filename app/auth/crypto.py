"""Hashing and encryption of secrets at rest, and constant-time comparison.

- argon2id for what a person chooses (passwords, PINs): slow on purpose.
- HMAC-SHA256 keyed by HASH_PEPPER for high-entropy or short-lived codes (OTP, recovery codes):
  a stolen table cannot be brute-forced offline without the pepper, and a check stays cheap.
- Fernet (AES-128-CBC + HMAC) for secrets we must read back (TOTP seeds, terminal secrets).
"""
from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    key = (current_app.config.get("ARGON2_TIME_COST", 3), current_app.config.get("ARGON2_MEMORY_KIB", 65536))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


def hash_secret(plain: str) -> str:
    return _hasher().hash(plain)


def verify_secret(stored_hash: str | None, plain: str) -> bool:
    """argon2 verification; a missing hash is checked against a dummy so timing does not tell."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), plain) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    key = "_dummy"
    dummy = current_app.extensions.get(key)
    if dummy is None:
        dummy = current_app.extensions[key] = _hasher().hash("not-a-real-secret")
    return dummy


def keyed_digest(*parts: str) -> str:
    pepper = current_app.config["HASH_PEPPER"].encode()
    return hmac.new(pepper, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def encrypt(plain: str) -> str:
    return Fernet(current_app.config["DATA_ENCRYPTION_KEY"].encode()).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return Fernet(current_app.config["DATA_ENCRYPTION_KEY"].encode()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a stored secret cannot be decrypted with DATA_ENCRYPTION_KEY") from exc

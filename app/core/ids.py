"""Opaque ids with a type prefix: wal_..., txn_..., usr_... (128 random bits, base32, lower case)."""
import base64
import secrets


def new_id(prefix: str) -> str:
    body = base64.b32encode(secrets.token_bytes(15)).decode().lower()
    return f"{prefix}_{body}"

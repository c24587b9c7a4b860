"""Purse certificates and payment tokens: the bytes that are signed, and Ed25519 over them. Pure.

Both offline (README, "Offline terminals", case 3): the server signs a certificate with its
issuer key; the phone signs each payment token with the device key the certificate names. The
messages are lines of text with a version tag first, so a certificate can never pass as a token
(or the reverse), and every field is in the signed bytes:

    certificate  "WPC1" purse_id device_key currency allowance max_payment valid_until kid
    token        "WPT1" purse_id counter terminal_id nonce amount currency time

Keys and signatures travel as unpadded base64url (a public key is its raw 32 bytes). The
reference terminal (terminal/purse.py) builds the same bytes independently, as firmware would.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CERT_FIELDS = ("purse_id", "device_key", "currency", "allowance", "max_payment", "valid_until", "kid")
TOKEN_FIELDS = ("purse_id", "counter", "terminal_id", "nonce", "amount", "currency", "time")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key(seed: bytes) -> str:
    """The public half of a 32-byte seed, as sent to terminals."""
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return b64(raw)


def message(tag: str, fields: tuple[str, ...], values: dict) -> bytes:
    return "\n".join([tag, *(str(values[name]) for name in fields)]).encode()


def cert_message(cert: dict) -> bytes:
    return message("WPC1", CERT_FIELDS, cert)


def token_message(token: dict) -> bytes:
    return message("WPT1", TOKEN_FIELDS, token)


def token_hash(token: dict) -> str:
    """What makes two tokens the same token: their signed content (Ed25519 is deterministic, and
    the signature adds nothing the signer did not already decide)."""
    return hashlib.sha256(token_message(token)).hexdigest()


def sign(seed: bytes, data: bytes) -> str:
    return b64(Ed25519PrivateKey.from_private_bytes(seed).sign(data))


def verifies(key_b64: str, data: bytes, signature_b64: str) -> bool:
    try:
        key = unb64(key_b64)
        signature = unb64(signature_b64)
        if len(key) != 32 or len(signature) != 64:
            return False
        Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False

"""Offline codes and confirmations: the cryptography a terminal and the server share. Pure.

A terminal that has lost its network still presents a dynamic EMV code, made by itself; the
customer's app (online) pays it, and the server answers with a confirmation the terminal checks
without the network. Both are MACs under keys derived from the terminal's signing secret, each
with its own purpose label, so a value made for one use is never valid for another:

    key(purpose)      = HMAC-SHA256(secret, "wallet/offline/v1/" + purpose)   purpose: code | confirmation
    code MAC          = hex(HMAC-SHA256(key(code), code message))[:16]        (64 bits)
    confirmation      = big-endian int of HMAC-SHA256(key(confirmation), confirmation message)[:8]
                        mod 10^10, as 10 digits

The secret is 256 random bits, so one HMAC per purpose is a sound key derivation (HKDF's
extract step adds nothing to a uniformly random key; its expand step with one block is this).
The reference terminal (terminal/offline.py) implements the same independently, as firmware
would; tests/pos/test_offline_codes.py holds both to the README's worked example.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from app.core.money import BY_NUMERIC
from app.qr import emv
from app.qr.emv_amounts import parse_amount

LABEL = "wallet/offline/v1/"
OFFLINE_TEMPLATE = "80"  # 00 our identifier, 01 sequence, 02 nonce, 03 issued at (unix s), 04 code MAC
TERMINAL_SUBTAG = "03"  # in our template 26, beside 00 (identifier) and 01 (merchant): the terminal
CONFIRMATION_DIGITS = 10
MAX_ATTEMPTS = 5  # wrong confirmations a terminal takes per code (README: the guessing odds)
MAC_HEX = 16


class NotOffline(ValueError):
    """The payload is not an offline code, or one whose fields cannot be read."""


@dataclass(frozen=True)
class OfflineCode:
    merchant_id: str
    terminal_id: str
    seq: int
    nonce: str
    issued_at: int
    currency: str
    amount: int
    reference: str
    mac: str


def derive_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), (LABEL + purpose).encode(), hashlib.sha256).digest()


def code_message(code: OfflineCode) -> str:
    return "\n".join(["WOC1", code.terminal_id, code.merchant_id, str(code.seq), code.nonce,
                      str(code.issued_at), code.currency, str(code.amount), code.reference])


def code_mac(secret: str, code: OfflineCode) -> str:
    digest = hmac.new(derive_key(secret, "code"), code_message(code).encode(), hashlib.sha256).hexdigest()
    return digest[:MAC_HEX]


def code_is_genuine(secret: str, code: OfflineCode) -> bool:
    return hmac.compare_digest(code_mac(secret, code).encode(), code.mac.lower().encode())


def confirmation(secret: str, code: OfflineCode) -> str:
    """The digits the terminal expects for this code. The nonce is in it, so should a terminal
    ever reuse a sequence number, the old code's confirmation does not fit the new one."""
    message = "\n".join(["WCF1", code.terminal_id, str(code.seq), code.nonce, code.currency, str(code.amount)])
    digest = hmac.new(derive_key(secret, "confirmation"), message.encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** CONFIRMATION_DIGITS).zfill(CONFIRMATION_DIGITS)


def confirmation_payload(code: OfflineCode, digits: str, payment_id: str) -> str:
    """The same confirmation for a scanner (QR or Code 128): the digits are what the terminal
    checks; the payment id rides along for its record (the server matches it at upload)."""
    return f"WCF1:{code.terminal_id}:{code.seq}:{digits}:{payment_id}"


def is_offline(ours: dict[str, str] | None) -> bool:
    """True for our template 26 naming a terminal and no stored code: a terminal made it itself."""
    return bool(ours) and TERMINAL_SUBTAG in ours and "02" not in ours


def parse(payload: emv.EmvPayload, guid: str) -> OfflineCode:
    """The offline code's fields; NotOffline when any is missing or malformed (the MAC is the
    caller's to check: this only reads)."""
    ours = next((t for t in payload.merchant_accounts.values() if (t.get("00") or "").lower() == guid.lower()), None)
    extra = payload.fields.get(OFFLINE_TEMPLATE)
    if not is_offline(ours) or not isinstance(extra, dict) or (extra.get("00") or "").lower() != guid.lower():
        raise NotOffline("not an offline terminal code")
    known = BY_NUMERIC.get(payload.currency_numeric or "")
    seq, issued_at = extra.get("01", ""), extra.get("03", "")
    if known is None or payload.amount is None or not (seq.isascii() and seq.isdigit() and len(seq) <= 12):
        raise NotOffline("the currency, the amount or the sequence number is missing")
    if not (issued_at.isascii() and issued_at.isdigit() and len(issued_at) <= 12):
        raise NotOffline("the time the code was made is missing")
    nonce = extra.get("02", "")
    if not (8 <= len(nonce) <= 32 and nonce.isascii() and nonce.isalnum()):
        raise NotOffline("the nonce is 8 to 32 letters or digits")
    try:
        amount = parse_amount(payload.amount, known.exponent)
    except emv.EmvError as exc:
        raise NotOffline(str(exc)) from None
    return OfflineCode(merchant_id=ours.get("01", ""), terminal_id=ours[TERMINAL_SUBTAG], seq=int(seq),
                       nonce=nonce, issued_at=int(issued_at), currency=known.code, amount=amount,
                       reference=(payload.additional or {}).get("05", ""), mac=extra.get("04", ""))

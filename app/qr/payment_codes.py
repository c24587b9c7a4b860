"""Consumer-presented payment codes (pure: no Flask, no database).

The customer's app shows an 18-digit code; a shop terminal scans it and charges it:

    PP HHHHHHH S TTTTTTTT
    |  |       | +- 8-digit TOTP (RFC 6238, HMAC-SHA1) of the device's secret at this period
    |  |       +--- wallet slot: the wallet's index (0-9) in the owner's wallet list
    |  +----------- device handle: 7 random digits, unique per registered device
    +-------------- PAYMENT_CODE_PREFIX: 2 digits that tell a scanner "this is ours"

The app computes it offline from the seed it got at registration. The handle is random, so the
code tells a bystander neither the wallet id nor the phone number; what it does tell (which
device) is only useful together with a fresh TOTP.
"""
from __future__ import annotations

import hashlib
import hmac

import pyotp

DIGITS = 8
HANDLE_DIGITS = 7
LENGTH = 2 + HANDLE_DIGITS + 1 + DIGITS  # 18
ALGORITHM = "SHA1"


def totp(secret: str, period: int) -> pyotp.TOTP:
    """The generator the app uses too; SHA1 because every authenticator library supports it."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=period, digest=hashlib.sha1)


def step_of(for_time: float, period: int) -> int:
    return int(for_time // period)


def otp_at_step(secret: str, step: int, period: int) -> str:
    return totp(secret, period).at(step * period)


def otps_at_steps(secret: str, steps: range) -> list[str]:
    """otp_at_step for each of `steps`, computed with hmac directly: the same codes (RFC 6238 with
    HMAC-SHA1, tests/qr/test_payment_codes.py compares them with pyotp's), but the seed is decoded
    once, where pyotp builds a generator and decodes the base32 seed again for every code (a charge
    checks 11 steps: an eighth of its Python, bench.instructions)."""
    key = totp(secret, 30).byte_secret()
    codes = []
    for step in steps:
        mac = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha1).digest()
        offset = mac[-1] & 0x0F  # RFC 4226 dynamic truncation
        value = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
        codes.append(f"{value % 10 ** DIGITS:0{DIGITS}d}")
    return codes


def make_code(prefix: str, handle: str, slot: int, secret: str, for_time: float, *, period: int = 30) -> str:
    if not (len(prefix) == 2 and prefix.isdigit()):
        raise ValueError("the prefix is two digits")
    if not (len(handle) == HANDLE_DIGITS and handle.isdigit()):
        raise ValueError(f"the handle is {HANDLE_DIGITS} digits")
    if not 0 <= slot <= 9:
        raise ValueError("the wallet slot is one digit")
    return f"{prefix}{handle}{slot}{otp_at_step(secret, step_of(for_time, period), period)}"


def parse_code(code: str, prefix: str) -> tuple[str, int, str] | None:
    """(handle, slot, otp), or None for anything that is not one of our codes."""
    # isascii: str.isdigit() also accepts other scripts' digits ("٢", "²"), which are not ours.
    if not (isinstance(code, str) and len(code) == LENGTH and code.isascii() and code.isdigit()):
        return None
    if code[:2] != prefix:
        return None
    return code[2:2 + HANDLE_DIGITS], int(code[2 + HANDLE_DIGITS]), code[2 + HANDLE_DIGITS + 1:]


def describe(prefix: str, period: int) -> str:
    """The format as the registration answer states it, so an app can be written from it."""
    return (f"{LENGTH} digits: '{prefix}' + the {HANDLE_DIGITS}-digit device handle + the wallet slot "
            f"(its 0-9 index in GET /api/v1/wallets) + the {DIGITS}-digit TOTP of the secret "
            f"(RFC 6238, {ALGORITHM}, {period} s period); accepted during its period and the next, once")

"""Tag 54, the transaction amount: minor units to EMV text and back, exactly, per currency exponent.
Pure, like the codec (app.qr.emv) whose EmvError it raises."""
from __future__ import annotations

import re
from decimal import Decimal

from app.qr.emv import EmvError

MAX_AMOUNT_CHARS = 13
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def format_amount(minor: int, exponent: int) -> str:
    """Minor units -> tag 54 text with exactly ``exponent`` decimals (422, 2 -> "4.22")."""
    if minor < 0 or exponent < 0:
        raise EmvError("54", "bad_amount", "amount and exponent must not be negative")
    text = format(Decimal(minor).scaleb(-exponent), "f")
    if len(text) > MAX_AMOUNT_CHARS:
        raise EmvError("54", "amount_too_long", f"{text!r} is over 13 characters")
    return text


def parse_amount(text: str, exponent: int) -> int:
    """Tag 54 text -> minor units ("4.22", 2 -> 422; "100", 2 -> 10000).

    Refuses signs, empty or non-numeric text, more than 13 characters, and more decimals
    than the currency has: "500.5" yen is not an amount we can pay.
    """
    if len(text) > MAX_AMOUNT_CHARS:
        raise EmvError("54", "amount_too_long", f"{len(text)} characters, at most 13")
    if not _AMOUNT.fullmatch(text):
        raise EmvError("54", "bad_amount", f"{text!r} is not digits with an optional '.'")
    decimals = len(text.partition(".")[2])
    if decimals > exponent:
        raise EmvError("54", "amount_too_precise", f"{decimals} decimals, at most {exponent}")
    return int(Decimal(text).scaleb(exponent))

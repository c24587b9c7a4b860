"""EMV merchant-presented code encoding, as much as a terminal needs: ID, 2-digit length, value;
templates nest the same way; tag 63 is the CRC-16/CCITT-FALSE of everything before its value."""
from __future__ import annotations

import binascii


def field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMV field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def template(tag: str, subfields: list[tuple[str, str]]) -> str:
    return field(tag, "".join(field(sub, value) for sub, value in subfields))


def with_crc(body: str) -> str:
    """Append tag 63: its id and length are part of what the CRC covers."""
    body += "6304"
    return body + f"{binascii.crc_hqx(body.encode('utf-8'), 0xFFFF):04X}"


def format_amount(minor: int, exponent: int) -> str:
    """Minor units as tag 54 text: 450 with exponent 2 is "4.50", 500 yen (exponent 0) is "500"."""
    if exponent == 0:
        return str(minor)
    whole, part = divmod(minor, 10 ** exponent)
    return f"{whole}.{part:0{exponent}d}"

"""EMVCo QR Code merchant-presented mode (MPM) codec: pure Python, no Flask, no database.

A payload is a run of ID-length-value fields: 2-digit tag, 2-digit decimal length, value.
Lengths count characters (``len(str)``), not bytes; only the CRC looks at UTF-8 bytes.
Decoding is lenient where real-world wallets disagree (field order, check-digit case,
format indicator value, missing tag 01, a plain value in a template tag that schemes fill as
they like) and strict where a wrong answer would move money (CRC, lengths, duplicates, the
templates EMVCo defines). Every refusal is an ``EmvError`` with a stable ``reason``.
"""
from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

CRC_TAG = "63"
FORMAT_INDICATOR_TAG = "00"

# int() accepts "+5", " 5", "1_0" and non-ASCII digits; the wire format allows none of those.
_TWO_DIGITS = re.compile(r"[0-9]{2}")
_CHECK_DIGITS = re.compile(r"[0-9A-Fa-f]{4}")


class EmvError(ValueError):
    """A payload or field the codec refuses.

    ``tag`` names the field ("54", or "62.05" inside a template; None when no field can be
    named) and ``reason`` is a stable snake_case code callers may branch on.
    """

    def __init__(self, tag: str | None, reason: str, detail: str = "") -> None:
        self.tag = tag
        self.reason = reason
        where = f"field {tag}" if tag is not None else "payload"
        super().__init__(f"EMV QR {where}: {reason}" + (f" ({detail})" if detail else ""))


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR.

    ``binascii.crc_hqx`` is exactly this non-reflected CCITT CRC with a caller-chosen
    initial value, so seeding it with 0xFFFF gives the variant EMVCo specifies.
    """
    return binascii.crc_hqx(data, 0xFFFF)


def is_template(tag: str) -> bool:
    """True for tags whose value is itself a run of sub-fields (26-51, 62, 64, 80-99)."""
    number = int(tag)
    return 26 <= number <= 51 or number in (62, 64) or 80 <= number <= 99


def may_be_opaque(tag: str) -> bool:
    """True for template tags whose value may be a plain value instead of sub-fields.

    The merchant account templates (26-51) and the unreserved templates (80-99) are filled as
    each scheme or bank decides, and codes in circulation put plain values there (Malaysian
    banks' DuitNow codes carry a bare hex string in tag 82); refusing the whole code for one
    field we never read would only refuse a valid code. Such a value is decoded as one opaque
    string. 62 (additional data) and 64 (merchant information in another language) are not:
    EMVCo defines their sub-fields, no scheme we know writes anything else there, and we read
    them (62.05 is the reference a payment is booked under, 64.01/02 the name shown to the
    payer), so a 62 or 64 that is not sub-fields is a broken code and refused.
    """
    number = int(tag)
    return 26 <= number <= 51 or 80 <= number <= 99


@dataclass(frozen=True)
class EmvPayload:
    """A decoded payload: ``fields`` maps tag -> value in payload order.

    Template tags map to a dict of sub-tag -> str; every other tag maps to a str. So does a
    template tag whose value is not sub-fields (see ``may_be_opaque``): ``opaque`` names those.
    Tag 63 is kept exactly as received (its case may be lower). Frozen means the
    payload is not rebound; treat ``fields`` as read-only and use ``to_tree()`` to edit.
    """

    fields: dict[str, str | dict[str, str]]

    def _text(self, tag: str) -> str | None:
        value = self.fields.get(tag)
        return value if isinstance(value, str) else None

    def _template(self, tag: str) -> dict[str, str] | None:
        value = self.fields.get(tag)
        return value if isinstance(value, dict) else None

    @property
    def format_indicator(self) -> str:
        """Tag 00, usually "01"; decode() guarantees it is present."""
        return str(self.fields[FORMAT_INDICATOR_TAG])

    @property
    def point_of_initiation(self) -> str | None:
        """'11' static, '12' dynamic (one-time), None when tag 01 is absent."""
        return self._text("01")

    @property
    def opaque(self) -> tuple[str, ...]:
        """Template tags whose value was not sub-fields and is kept as one string, in order."""
        return tuple(t for t, v in self.fields.items() if is_template(t) and isinstance(v, str))

    @property
    def merchant_accounts(self) -> dict[str, dict[str, str]]:
        """Merchant account templates (tags 26-51) made of sub-fields, keyed by tag, in payload
        order (an opaque one has no identifier to read, so it is left out)."""
        return {t: v for t, v in self.fields.items() if 26 <= int(t) <= 51 and isinstance(v, dict)}

    @property
    def mcc(self) -> str | None:
        return self._text("52")

    @property
    def currency_numeric(self) -> str | None:
        return self._text("53")

    @property
    def amount(self) -> str | None:
        """Tag 54 as written; turn it into minor units with ``parse_amount``."""
        return self._text("54")

    @property
    def country(self) -> str | None:
        return self._text("58")

    @property
    def merchant_name(self) -> str | None:
        return self._text("59")

    @property
    def merchant_city(self) -> str | None:
        return self._text("60")

    @property
    def postal_code(self) -> str | None:
        return self._text("61")

    @property
    def additional(self) -> dict[str, str] | None:
        return self._template("62")

    @property
    def language_template(self) -> dict[str, str] | None:
        return self._template("64")

    @property
    def crc(self) -> str:
        """Tag 63 check digits, upper-cased; decode() guarantees they are present."""
        return str(self.fields[CRC_TAG]).upper()

    def to_tree(self) -> dict[str, str | dict[str, str]]:
        """A JSON-serialisable copy of ``fields``; ``encode`` accepts it back unchanged."""
        return {t: dict(v) if isinstance(v, dict) else v for t, v in self.fields.items()}


def decode(payload: str) -> EmvPayload:
    """Parse and verify an MPM payload, or raise ``EmvError``."""
    if not payload:
        raise EmvError(None, "empty")
    top = _split(payload, parent=None)
    tags = list(top)
    if tags[0] != FORMAT_INDICATOR_TAG:
        raise EmvError(tags[0], "format_indicator_not_first")
    if CRC_TAG not in top:
        raise EmvError(CRC_TAG, "missing_crc")
    if tags[-1] != CRC_TAG:
        raise EmvError(CRC_TAG, "crc_not_last")
    # Check the CRC before looking inside templates, so a corrupted payload is reported
    # as corrupted rather than as whatever nonsense the damaged template happens to hold.
    _verify_crc(payload, top[CRC_TAG])
    fields = {t: _template(t, v) if is_template(t) else v for t, v in top.items()}
    return EmvPayload(fields)


def _template(tag: str, value: str) -> dict[str, str] | str:
    """A template's sub-fields, or (where ``may_be_opaque``) its value as is when it is not
    sub-fields. Only reached once the CRC has matched, so the value is what was printed."""
    try:
        return _split(value, parent=tag)
    except EmvError:
        if may_be_opaque(tag):
            return value
        raise


def _split(text: str, parent: str | None) -> dict[str, str]:
    """Cut ``text`` into an ordered tag -> raw value dict; ``parent`` prefixes error paths."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        if len(text) - pos < 4:
            raise EmvError(parent, "truncated", f"{text[pos:]!r} is too short for tag + length")
        tag, length = text[pos : pos + 2], text[pos + 2 : pos + 4]
        path = f"{parent}.{tag}" if parent else tag
        if not _TWO_DIGITS.fullmatch(tag):
            raise EmvError(path, "bad_tag", "tags are two decimal digits")
        if not _TWO_DIGITS.fullmatch(length):
            raise EmvError(path, "bad_length", f"length {length!r} is not two decimal digits")
        end = pos + 4 + int(length)
        if end > len(text):
            left = len(text) - pos - 4
            raise EmvError(path, "length_overrun", f"length {length}, {left} characters left")
        if tag in fields:
            raise EmvError(path, "duplicate_tag")
        fields[tag] = text[pos + 4 : end]
        pos = end
    return fields


def _verify_crc(payload: str, check_digits: str) -> None:
    if not _CHECK_DIGITS.fullmatch(check_digits):
        raise EmvError(CRC_TAG, "bad_crc_format", f"{check_digits!r} is not four hex digits")
    # 63 is last and four characters long, so the checked text ends with "6304".
    expected = crc16_ccitt_false(payload[:-4].encode("utf-8"))
    if int(check_digits, 16) != expected:
        raise EmvError(CRC_TAG, "crc_mismatch", f"got {check_digits}, computed {expected:04X}")


def encode(fields: Mapping[str, str | Mapping[str, str]]) -> str:
    """Serialise a field tree and append tag 63 with a fresh upper-case CRC.

    Order: tag 00 first, then the remaining tags (and sub-tags) in the order given, so
    ``encode(decode(p).to_tree())`` reproduces ``p``. A caller-supplied 63 is ignored
    because the CRC is always recomputed. Template tags need a mapping, others a str; a
    ``may_be_opaque`` tag also takes a str that does not read as sub-fields (an opaque value
    as decoded), never one that does, which would decode as a mapping.
    """
    if FORMAT_INDICATOR_TAG not in fields:
        raise EmvError(FORMAT_INDICATOR_TAG, "missing_format_indicator")
    rest = [t for t in fields if t not in (FORMAT_INDICATOR_TAG, CRC_TAG)]
    order = [FORMAT_INDICATOR_TAG, *rest]
    body = "".join(_encode_field(tag, fields[tag]) for tag in order) + CRC_TAG + "04"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def _encode_field(tag: str, value: str | Mapping[str, str]) -> str:
    _require_tag(tag, tag)  # is_template() needs a well-formed tag
    if isinstance(value, Mapping):
        if not is_template(tag):
            raise EmvError(tag, "not_a_template", "only 26-51, 62, 64 and 80-99 nest")
        value = "".join(_encode_leaf(f"{tag}.{sub}", sub, text) for sub, text in value.items())
    elif is_template(tag):
        if not may_be_opaque(tag):
            raise EmvError(tag, "template_expected", "give a mapping of sub-tag -> str")
        if isinstance(value, str) and value and _reads_as_sub_fields(value, tag):
            raise EmvError(tag, "template_expected", "this value reads as sub-fields: give them as a mapping")
    return _encode_leaf(tag, tag, value)


def _reads_as_sub_fields(value: str, tag: str) -> bool:
    try:
        _split(value, parent=tag)
    except EmvError:
        return False
    return True


def _encode_leaf(path: str, tag: str, value: str) -> str:
    _require_tag(path, tag)
    if not isinstance(value, str):
        raise EmvError(path, "bad_value", f"expected str, got {type(value).__name__}")
    if not value:
        raise EmvError(path, "empty_value", "EMV lengths run from 01 to 99")
    if len(value) > 99:
        raise EmvError(path, "value_too_long", f"{len(value)} characters, at most 99")
    return f"{tag}{len(value):02d}{value}"


def _require_tag(path: str, tag: object) -> None:
    if not (isinstance(tag, str) and _TWO_DIGITS.fullmatch(tag)):
        raise EmvError(str(path), "bad_tag", "tags are two decimal digits")

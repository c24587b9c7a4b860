"""Our merchant-presented codes in EMV form, and what any scanned EMV code means to us. Pure.

Our account information sits in one template (tag 26 when free) with:
  00  our globally unique identifier (QR_GUID, reverse-domain style)
  01  the merchant id
  02  the QR code id (the server record a payment is checked against)
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.money import BY_NUMERIC, currency
from app.qr import emv
from app.qr.emv_amounts import format_amount, parse_amount
from app.qr.transliterate import MERCHANT_CITY_MAX, MERCHANT_NAME_MAX, ascii_fold

OUR_TEMPLATE = "26"
# Identifiers of other national schemes, to name them when someone scans their codes.
FOREIGN_SCHEMES = {
    "br.gov.bcb.pix": "pix",
    "a000000677010111": "promptpay",
    "a000000677010112": "promptpay",
    "a000000677010113": "promptpay",
    "sg.paynow": "paynow",
    "sg.com.nets": "nets",
    "sg.sgqr": "sgqr",
    "id.co.qris.www": "qris",
    "com.p2pqrpay": "qrph",
    "a000000615": "duitnow",
    "a0000006150001": "duitnow",  # what DuitNow codes in circulation carry in 26.00
    "a0000007750": "vietqr",
}


@dataclass(frozen=True)
class MerchantInfo:
    merchant_id: str
    name: str
    city: str
    country: str
    mcc: str
    language: str


def build_payload(*, guid: str, merchant: MerchantInfo, qr_id: str, currency_code: str, amount: int | None,
                  reference: str | None = None, terminal_label: str | None = None) -> str:
    """A static code (no amount, point of initiation 11) or a dynamic one (amount, 12)."""
    fields: dict[str, str | dict[str, str]] = {
        "00": "01",
        "01": "11" if amount is None else "12",
        OUR_TEMPLATE: {"00": guid, "01": merchant.merchant_id, "02": qr_id},
        "52": merchant.mcc,
        "53": currency(currency_code).numeric,
    }
    if amount is not None:
        fields["54"] = format_amount(amount, currency(currency_code).exponent)
    fields["58"] = merchant.country
    fields["59"] = ascii_fold(merchant.name, MERCHANT_NAME_MAX) or "MERCHANT"
    fields["60"] = ascii_fold(merchant.city, MERCHANT_CITY_MAX) or "CITY"
    additional = {k: v for k, v in (("05", reference), ("07", terminal_label)) if v}
    if additional:
        fields["62"] = additional
    # Cut like the folded text (which never keeps edge spaces), so a cut that lands on a space
    # is not mistaken for lost letters; blank text has nothing to carry.
    name = merchant.name[:MERCHANT_NAME_MAX].strip() or fields["59"]
    city = merchant.city[:MERCHANT_CITY_MAX].strip() or fields["60"]
    if fields["59"] != name or fields["60"] != city:
        # The name or city lost letters in ASCII: carry the original in the language template.
        fields["64"] = {"00": merchant.language, "01": name, "02": city}
    return emv.encode(fields)


@dataclass(frozen=True)
class Reading:
    """What a scanned code says, in our terms."""
    scheme: str
    kind: str  # static | dynamic
    ours: dict[str, str] | None  # our template's sub-fields, when the code is ours
    currency: str | None  # alphabetic when known, else the numeric string
    amount: int | None  # minor units
    amount_error: str | None


def read(payload: emv.EmvPayload, guid: str) -> Reading:
    ours = None
    scheme = "emv"
    for template in payload.merchant_accounts.values():
        identifier = (template.get("00") or "").lower()
        if identifier == guid.lower():
            ours, scheme = template, "ours"
            break
        if identifier in FOREIGN_SCHEMES and scheme == "emv":
            scheme = FOREIGN_SCHEMES[identifier]
    numeric = payload.currency_numeric
    known = BY_NUMERIC.get(numeric or "")
    amount, amount_error = None, None
    if payload.amount is not None:
        try:
            amount = parse_amount(payload.amount, known.exponent if known else 2)
        except emv.EmvError as exc:
            amount_error = str(exc)
    kind = "dynamic" if payload.point_of_initiation == "12" or (
        payload.point_of_initiation is None and payload.amount is not None) else "static"
    return Reading(scheme=scheme, kind=kind, ours=ours, currency=known.code if known else numeric,
                   amount=amount, amount_error=amount_error)

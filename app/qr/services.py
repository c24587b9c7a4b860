"""Merchant-presented QR codes: issue them, draw them, read any scanned code, pay ours."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.models import Merchant
from app.merchant.services import merchant_account, staff_merchant
from app.qr import emv, images
from app.qr.merchant_codes import MerchantInfo, build_payload, read
from app.qr.models import QrCode

MIN_EXPIRES_IN, MAX_EXPIRES_IN = 5, 24 * 3600


def status_of(qr: QrCode) -> str:
    if qr.status == "active" and qr.expires_at is not None and clock.as_utc(qr.expires_at) <= clock.now():
        return "expired"
    return qr.status


def qr_out(qr: QrCode) -> dict:
    return {"id": qr.id, "kind": qr.kind, "payload": qr.payload, "amount": qr.amount, "currency": qr.currency,
            "reference": qr.reference, "terminal_label": qr.terminal_label,
            "expires_at": clock.as_utc(qr.expires_at).isoformat() if qr.expires_at else None,
            "status": status_of(qr), "paid_transaction_id": qr.paid_transaction_id,
            "created_at": clock.as_utc(qr.created_at).isoformat()}


def issue_code(merchant: Merchant, *, kind: str, currency: str, amount: int | None, reference: str | None,
               expires_in: int | None, terminal_label: str | None = None, terminal_id: str | None = None,
               capture: str = "automatic") -> QrCode:
    """Inside a unit of work: a new static or dynamic code for `merchant`. A terminal presenting a
    payment request passes its id (the payment is then booked to it) and may ask for a manual
    capture (paying places a hold that the terminal captures or voids later)."""
    if merchant_account(merchant.id, currency) is None:
        raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"this merchant does not accept {currency}")
    if kind == "static" and (amount is not None or expires_in is not None):
        raise AppError(Code.VALIDATION_ERROR, "a static code has no amount and does not expire; the payer "
                       "types the amount", {"fields": [{"field": "amount", "message": "not allowed"}]})
    if kind == "dynamic" and amount is None:
        raise AppError(Code.VALIDATION_ERROR, "a dynamic code needs an amount",
                       {"fields": [{"field": "amount", "message": "required"}]})
    qr = QrCode(id=new_id("qr"), merchant_id=merchant.id, kind=kind, currency=currency, amount=amount,
                reference=reference, terminal_label=terminal_label, terminal_id=terminal_id, capture=capture,
                status="active", created_at=clock.now())
    if kind == "dynamic":
        seconds = expires_in if expires_in is not None else current_app.config["QR_DEFAULT_EXPIRES_IN"]
        qr.expires_at = qr.created_at + timedelta(seconds=seconds)
    info = MerchantInfo(merchant_id=merchant.id, name=merchant.name, city=merchant.city, country=merchant.country,
                        mcc=merchant.mcc, language=merchant.language)
    qr.payload = build_payload(guid=current_app.config["QR_GUID"], merchant=info, qr_id=qr.id,
                               currency_code=currency, amount=amount, reference=reference,
                               terminal_label=terminal_label)
    db.session.add(qr)
    db.session.flush()
    return qr


def create_code(user: User, merchant_id: str, *, kind: str, currency: str, amount: int | None,
                reference: str | None, expires_in: int | None) -> dict:
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="issue_qr")
        qr = issue_code(merchant, kind=kind, currency=currency, amount=amount, reference=reference,
                        expires_in=expires_in)
        uow.commit()
    return qr_out(qr)


def get_code(user: User, merchant_id: str, qr_id: str) -> dict:
    merchant = staff_merchant(user, merchant_id)
    qr = db.session.execute(select(QrCode).filter_by(id=qr_id, merchant_id=merchant.id)).scalar_one_or_none()
    if qr is None:
        raise not_found("QR code")
    return qr_out(qr)


def image(qr_id: str, fmt: str, *, size: int, border: int) -> tuple[bytes, dict]:
    """The picture of a code, with cache headers: a static code never changes; a dynamic one
    may be cached until it expires."""
    qr = db.session.get(QrCode, qr_id)
    if qr is None:
        raise not_found("QR code")
    if qr.kind == "static":
        cache = "public, max-age=86400, immutable"
    else:
        left = 0 if qr.expires_at is None else int((clock.as_utc(qr.expires_at) - clock.now()).total_seconds())
        cache = f"private, max-age={max(0, left)}"
    headers = {"Cache-Control": cache, "ETag": f'"{qr.id}-{size}-{border}-{fmt}"'}
    return images.render(qr.payload, fmt, box_size=size, border=border), headers


def decode(payload: str) -> dict:
    """Any EMV merchant-presented code, explained; ours also says whether it can be paid now."""
    try:
        parsed = emv.decode(payload)
    except emv.EmvError as exc:
        raise AppError(Code.QR_INVALID, str(exc), {"tag": exc.tag, "reason": exc.reason}) from None
    reading = read(parsed, current_app.config["QR_GUID"])
    language = parsed.language_template or {}
    merchant = {"name": language.get("01") or parsed.merchant_name, "city": language.get("02") or parsed.merchant_city,
                "country": parsed.country, "mcc": parsed.mcc}
    reference = (parsed.additional or {}).get("05")
    payable, reason = False, f"a {reading.scheme} code; this wallet pays only its own merchants' codes"
    if reading.scheme == "ours":
        payable, reason = _payable(payload, reading.ours)
    elif reading.amount_error:
        reason = reading.amount_error
    return {"scheme": reading.scheme, "kind": reading.kind, "merchant": merchant, "amount": reading.amount,
            "currency": reading.currency, "reference": reference, "payable": payable, "reason": reason,
            "fields": parsed.to_tree(), "opaque_fields": list(parsed.opaque)}


def _payable(payload: str, ours: dict[str, str]) -> tuple[bool, str | None]:
    if "03" in ours and "02" not in ours:
        # A terminal made it offline (app.pos.offline): only its terminal's key can vouch for it,
        # and the payment checks that key; the preview cannot, and says so.
        return True, "made by a terminal offline: checked when it is paid"
    qr = db.session.get(QrCode, ours.get("02") or "")
    if qr is None or qr.merchant_id != ours.get("01") or qr.payload != payload:
        return False, "this code was not issued by us or has been altered"
    status = status_of(qr)
    return (True, None) if status == "active" else (False, f"this code is {status}")

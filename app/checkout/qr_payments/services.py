"""Paying a merchant-presented code from the app: scan, (preview with /qr/decode), pay.

The payload must be exactly the one we stored for the code it names: any change to the amount,
the currency or the reference makes it a different string, and it is refused as not payable.
Every code is paid by one database call, qr_pay (qr_pay.sql): a merchant's static or dynamic code,
a terminal's payment request (booked to the terminal; a manual-capture request takes a hold), and
an online order's code (it marks the order paid and writes order.paid). The terminal that
presented a code is woken after the commit, never before.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import text

from app.auth.models import User
from app.auth.services.pin import pin_needed, refuse_if_pin_locked, require_payment_pin
from app.checkout.orders.services import deep_link
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.ids import new_id
from app.core.notify import get_notifier
from app.pos.offline import codes as offline_codes, payments as offline_payments
from app.qr import emv
from app.qr.merchant_codes import read
from app.wallet import ledger


# What qr_pay (qr_pay.sql) may refuse; the first five before the key is claimed, so they are not
# stored under it.
PAYMENT_REFUSALS = {
    "inactive_user": (Code.TOKEN_INVALID, "the token is not valid", None),
    "not_verified": (Code.NOT_VERIFIED, "verify your phone or e-mail before moving money", None),
    "not_ours": (Code.QR_NOT_PAYABLE, "this code was not issued by us or has been altered", None),
    "amount_not_allowed": (Code.VALIDATION_ERROR, "this code carries its amount; do not send one",
                           {"fields": [{"field": "amount", "message": "not allowed for a dynamic code"}]}),
    "amount_required": (Code.VALIDATION_ERROR, "this code has no amount; send the amount to pay",
                        {"fields": [{"field": "amount", "message": "required for a static code"}]}),
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "wallet_not_found": (Code.NOT_FOUND, "wallet not found", None),
    "already_paid": (Code.QR_ALREADY_PAID, "this code has already been paid", None),
    "canceled": (Code.QR_CANCELED, "this code was canceled by the merchant", None),
    "expired": (Code.QR_EXPIRED, "this code has expired; ask for a new one", None),
    "wrong_currency": (Code.CURRENCY_NOT_SUPPORTED, "this code is in {code_currency}; pay from a {code_currency} wallet", None),
    "wallet_frozen": (Code.WALLET_FROZEN, "this wallet is frozen", None),
    "merchant_closed": (Code.QR_NOT_PAYABLE, "this merchant cannot take payments now", None),
    "order_not_pending": (Code.ORDER_NOT_PENDING, "this order is {status}", ledger.AS_RAISED),
}
BEFORE_KEY = {"inactive_user", "not_verified", "not_ours", "amount_not_allowed", "amount_required"}
_QR_PAY = text("SELECT * FROM qr_pay(:scope, :key, :fingerprint, :ttl, :user_id, :wallet_id, :qr_id, :merchant_id, "
               ":payload, :amount, :now, :now_iso, :transaction_id, :transfer_id, :event_id, :hold_expires_at, "
               ":order_link, :order_event_id)")


def pay(user_id: str, load_user: Callable[[], User], *, payload: str, wallet_id: str, amount: int | None,
        pin: str | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (qr_pay), then the presenting terminal's wake-up, after the commit. A
    terminal's offline code is offline_pay's."""
    reading = _reading(payload)
    if offline_codes.is_offline(reading.ours):  # a terminal made it offline: its own function
        return offline_payments.pay(user_id, load_user, payload=payload, wallet_id=wallet_id, amount=amount,
                                    pin=pin, idem=idem)
    to_pay = reading.amount if reading.kind == "dynamic" else amount
    refuse_if_pin_locked(user_id)
    if to_pay is not None and pin_needed(to_pay, pin):  # the function checks this amount is the code's
        require_payment_pin(load_user(), pin, to_pay)
    now = clock.now()
    params = {**claim_params(idem), "user_id": user_id,
              "wallet_id": wallet_id, "qr_id": reading.ours.get("02") or "", "merchant_id": reading.ours.get("01") or "",
              "payload": payload, "amount": amount, "now": now, "now_iso": clock.iso(now),
              "transaction_id": new_id("txn"), "transfer_id": new_id("trf"), "event_id": new_id("msg"),
              "hold_expires_at": now + timedelta(seconds=current_app.config["HOLD_EXPIRES_IN"]),
              "order_link": deep_link(payload), "order_event_id": new_id("msg")}

    presented_by: list[str | None] = [None]  # the terminal that presented the code, if any

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _QR_PAY, params, PAYMENT_REFUSALS, BEFORE_KEY)
        presented_by[0] = row.terminal_id
        return row.status, json.loads(row.body)

    status, body = run_in_database(idem, call)
    if presented_by[0] is not None and status == 201:
        # After the commit, never before: a woken terminal re-reads the code and must see it paid.
        get_notifier().publish(f"qr:{body['qr_code_id']}")
    return status, body


def _reading(payload: str):
    try:
        reading = read(emv.decode(payload), current_app.config["QR_GUID"])
    except emv.EmvError as exc:
        raise AppError(Code.QR_INVALID, str(exc), {"tag": exc.tag, "reason": exc.reason}) from None
    if reading.scheme != "ours":
        raise AppError(Code.QR_NOT_PAYABLE, f"a {reading.scheme} code; this wallet pays only its own "
                       "merchants' codes")
    return reading

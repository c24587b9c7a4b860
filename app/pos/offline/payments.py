"""The app pays a code a terminal made offline (case 1 of the README's "Offline terminals").

Reached from POST /api/v1/qr/payments (app.checkout.qr_payments.services.pay hands over every
code whose template names a terminal instead of a stored code). Python reads the code, checks
its MAC under the terminal's code key and its age, checks the PIN, and computes the confirmation
(the secret is encrypted at rest; only Python can read it); then one call to offline_pay
(offline_pay.sql) claims the key, refuses a second payment of the same (terminal, sequence
number), pays the merchant and stores the answer with the confirmation in it.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Callable

from flask import current_app
from sqlalchemy import text

from app.auth import crypto
from app.auth.models import User
from app.auth.services.pin import pin_needed, refuse_if_pin_locked, require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.ids import new_id
from app.core.uow import end_read
from app.extensions import db
from app.pos import signing
from app.pos.offline import codes
from app.pos.terminals.models import Terminal
from app.qr import emv
from app.wallet import ledger

NOT_GENUINE = "this code was not made by one of our terminals, or it has been altered"
REFUSALS = {
    "inactive_user": (Code.TOKEN_INVALID, "the token is not valid", None),
    "not_verified": (Code.NOT_VERIFIED, "verify your phone or e-mail before moving money", None),
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "wallet_not_found": (Code.NOT_FOUND, "wallet not found", None),
    "terminal_closed": (Code.QR_NOT_PAYABLE, "this terminal cannot take payments now", None),
    "already_paid": (Code.QR_ALREADY_PAID, "this code has already been paid", None),
    "wrong_currency": (Code.CURRENCY_NOT_SUPPORTED, "this code is in {code_currency}; pay from a {code_currency} wallet", None),
    "wallet_frozen": (Code.WALLET_FROZEN, "this wallet is frozen", None),
    "merchant_closed": (Code.QR_NOT_PAYABLE, "this merchant cannot take payments now", None),
}
BEFORE_KEY = {"inactive_user", "not_verified"}
_OFFLINE_PAY = text(
    "SELECT * FROM offline_pay(:scope, :key, :fingerprint, :ttl, :user_id, :wallet_id, :terminal_id, :merchant_id, "
    ":seq, :nonce, :amount, :currency, :reference, :sold_at, :sold_iso, :confirmation, :confirmation_payload, "
    ":now, :now_iso, :transaction_id, :transfer_id, :event_id)")


def read_code(payload: str) -> codes.OfflineCode:
    try:
        return codes.parse(emv.decode(payload), current_app.config["QR_GUID"])
    except (emv.EmvError, codes.NotOffline) as exc:
        raise AppError(Code.QR_NOT_PAYABLE, f"{NOT_GENUINE} ({exc})") from None


def genuine(code: codes.OfflineCode) -> str:
    """The terminal's secret, once the code is shown to be its own, unaltered and fresh."""
    try:
        terminal = db.session.get(Terminal, code.terminal_id[:40])
        secret = crypto.decrypt(terminal.secret) if terminal is not None else None
        merchant_id = terminal.merchant_id if terminal is not None else None
    finally:
        end_read()  # the payment is one call of its own; hold no transaction across it
    if secret is None or merchant_id != code.merchant_id or not codes.code_is_genuine(secret, code):
        raise AppError(Code.QR_NOT_PAYABLE, NOT_GENUINE)
    now = clock.now().timestamp()
    # The terminal's clock was set from server_time before it went offline; allow the request
    # signing's skew for its drift since, and nothing made "in the future" beyond that.
    if code.issued_at > now + signing.MAX_SKEW_SECONDS:
        raise AppError(Code.QR_NOT_PAYABLE, f"{NOT_GENUINE} (made in the future)")
    if now - code.issued_at > current_app.config["OFFLINE_CODE_TTL"] + signing.MAX_SKEW_SECONDS:
        raise AppError(Code.QR_EXPIRED, "this code has expired; ask for a new one")
    return secret


def pay(user_id: str, load_user: Callable[[], User], *, payload: str, wallet_id: str, amount: int | None,
        pin: str | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    if amount is not None:
        raise AppError(Code.VALIDATION_ERROR, "this code carries its amount; do not send one",
                       {"fields": [{"field": "amount", "message": "not allowed for a dynamic code"}]})
    code = read_code(payload)
    secret = genuine(code)
    refuse_if_pin_locked(user_id)
    if pin_needed(code.amount, pin):
        require_payment_pin(load_user(), pin, code.amount)
    digits = codes.confirmation(secret, code)
    now, sold_at = clock.now(), datetime.fromtimestamp(code.issued_at, UTC)
    transaction_id = new_id("txn")
    params = {**claim_params(idem), "user_id": user_id,
              "wallet_id": wallet_id, "terminal_id": code.terminal_id, "merchant_id": code.merchant_id,
              "seq": code.seq, "nonce": code.nonce, "amount": code.amount, "currency": code.currency,
              "reference": code.reference, "sold_at": sold_at, "sold_iso": clock.iso(sold_at),
              "confirmation": digits,
              "confirmation_payload": codes.confirmation_payload(code, digits, transaction_id),
              "now": now, "now_iso": clock.iso(now), "transaction_id": transaction_id,
              "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _OFFLINE_PAY, params, REFUSALS, BEFORE_KEY)
        return row.status, json.loads(row.body)

    return run_in_database(idem, call)

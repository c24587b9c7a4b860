"""Paying a merchant-presented code from the app: scan, (preview with /qr/decode), pay.

The payload must be exactly the one we stored for the code it names: any change to the amount,
the currency or the reference makes it a different string, and it is refused as not payable.
A code a terminal presented (app.pos.payment_requests.services) books the payment to that terminal, and
its commit wakes the terminal's long poll. A code that is an online order's
(app.checkout.orders.services) marks the order paid in the same unit of work, and every payment writes
its "payment.succeeded" event (and "order.paid") to the outbox there too.
"""
from __future__ import annotations

import json

from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import select, text

from app.auth.models import User
from app.auth.services.pin import pin_needed, refuse_if_pin_locked, require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, run_in_database, run_once
from app.core.ids import new_id
from app.core.notify import get_notifier
from app.extensions import db
from app.checkout.orders import services as orders
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.merchant.services import merchant_account
from app.pos.batches.services import hold_batch_open
from app.pos.offline import codes as offline_codes, payments as offline_payments
from app.qr import emv
from app.qr.merchant_codes import read
from app.qr.models import QrCode
from app.wallet import holds, ledger
from app.wallet.models import Account, Transaction
from app.wallet.services import owned_wallet, require_verified


def _our_code(payload: str) -> QrCode:
    reading = _reading(payload)
    qr = db.session.get(QrCode, reading.ours.get("02") or "")
    if qr is None or qr.merchant_id != reading.ours.get("01") or qr.payload != payload:
        raise AppError(Code.QR_NOT_PAYABLE, "this code was not issued by us or has been altered")
    return qr


def _amount_for(qr: QrCode, amount: int | None) -> int:
    if qr.kind == "dynamic" and amount is not None:
        raise AppError(Code.VALIDATION_ERROR, "this code carries its amount; do not send one",
                       {"fields": [{"field": "amount", "message": "not allowed for a dynamic code"}]})
    if qr.kind == "static" and amount is None:
        raise AppError(Code.VALIDATION_ERROR, "this code has no amount; send the amount to pay",
                       {"fields": [{"field": "amount", "message": "required for a static code"}]})
    return qr.amount if qr.kind == "dynamic" else amount


def _book(code: QrCode, wallet: Account, account: Account, user: User, amount: int,
          reference: str | None, announce: Callable[[Transaction], None]) -> Transaction:
    """The ledger side of a payment, booked to the terminal that presented the code (if any).

    A terminal's "capture": "manual" request takes a hold instead, inside this unit of work, so
    that marking the code paid and holding the money are one commit; the terminal captures or
    voids it later (app.pos.payment_requests.services), or it expires after HOLD_EXPIRES_IN.

    `announce` writes the payment's event before the transfer, as charges do: if the ledger
    refuses the transfer the event rolls back with it, and the merchant's account row (one lock
    for every payment to a busy shop) is not held while the event and its deliveries are written.
    (The bench could not tell the difference on qr_hot through its noise; kept for the symmetry.)
    """
    if code.terminal_id is not None:
        hold_batch_open(code.terminal_id)
    if code.capture == "manual":
        expires_at = clock.now() + timedelta(seconds=current_app.config["HOLD_EXPIRES_IN"])
        return holds.place_hold(debit_id=wallet.id, credit_id=account.id, amount=amount, currency=code.currency,
                                expires_at=expires_at, initiator_id=user.id, reference=reference,
                                terminal_id=code.terminal_id)
    txn = ledger.new_transaction(type="payment", status="succeeded", amount=amount, currency=code.currency,
                                 debit_id=wallet.id, credit_id=account.id, initiator_id=user.id,
                                 reference=reference, terminal_id=code.terminal_id)
    announce(txn)
    ledger.record_transfer(txn, kind="posted", debit_id=wallet.id, credit_id=account.id, amount=amount)
    return txn


# What qr_pay (qr_pay.sql) may refuse before it writes anything; the first five are refused before
# the key is claimed and are not stored under it (as the Python path refuses them before run_once).
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
}
BEFORE_KEY = {"inactive_user", "not_verified", "not_ours", "amount_not_allowed", "amount_required"}
_QR_PAY = text("SELECT * FROM qr_pay(:scope, :key, :fingerprint, :ttl, :user_id, :wallet_id, :qr_id, :merchant_id, "
               ":payload, :amount, :now, :now_iso, :transaction_id, :transfer_id, :event_id)")


def pay(user_id: str, load_user: Callable[[], User], *, payload: str, wallet_id: str, amount: int | None,
        pin: str | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (qr_pay) for a merchant's own code and a terminal's automatic-capture
    request (then the terminal's wake-up, after the commit); a manual-capture request (a hold) or an
    order's code takes the Python path below."""
    reading = _reading(payload)
    if offline_codes.is_offline(reading.ours):  # a terminal made it offline: its own function
        return offline_payments.pay(user_id, load_user, payload=payload, wallet_id=wallet_id, amount=amount,
                                    pin=pin, idem=idem)
    to_pay = reading.amount if reading.kind == "dynamic" else amount
    refuse_if_pin_locked(user_id)
    if to_pay is not None and pin_needed(to_pay, pin):  # the function checks this amount is the code's
        require_payment_pin(load_user(), pin, to_pay)
    now = clock.now()
    params = {"scope": idem and idem.scope, "key": idem and idem.key, "fingerprint": idem and idem.fingerprint,
              "ttl": timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"]), "user_id": user_id,
              "wallet_id": wallet_id, "qr_id": reading.ours.get("02") or "", "merchant_id": reading.ours.get("01") or "",
              "payload": payload, "amount": amount, "now": now, "now_iso": clock.iso(now),
              "transaction_id": new_id("txn"), "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    presented_by: list[str | None] = [None]  # the terminal that presented the code, if any

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _QR_PAY, params, PAYMENT_REFUSALS, BEFORE_KEY)
        if row.refusal == "not_here":
            raise _PythonPath()
        presented_by[0] = row.terminal_id
        return row.status, json.loads(row.body)

    try:
        status, body = run_in_database(idem, call)
    except _PythonPath:
        return pay_in_python(load_user(), payload=payload, wallet_id=wallet_id, amount=amount, pin=pin, idem=idem)
    if presented_by[0] is not None and status == 201:
        # After the commit, never before: a woken terminal re-reads the code and must see it paid.
        get_notifier().publish(f"qr:{body['qr_code_id']}")
    return status, body


class _PythonPath(Exception):
    """qr_pay leaves this code to pay_in_python: a terminal's manual-capture request, or an order's."""


def _reading(payload: str):
    try:
        reading = read(emv.decode(payload), current_app.config["QR_GUID"])
    except emv.EmvError as exc:
        raise AppError(Code.QR_INVALID, str(exc), {"tag": exc.tag, "reason": exc.reason}) from None
    if reading.scheme != "ours":
        raise AppError(Code.QR_NOT_PAYABLE, f"a {reading.scheme} code; this wallet pays only its own "
                       "merchants' codes")
    return reading


def pay_in_python(user: User, *, payload: str, wallet_id: str, amount: int | None, pin: str | None,
                  idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """A terminal's manual-capture requests (a hold), and orders' codes: several features' rows in
    one unit of work. (A terminal's automatic-capture request comes here no more: qr_pay pays it.)"""
    require_verified(user)
    qr = _our_code(payload)
    to_pay = _amount_for(qr, amount)
    require_payment_pin(user, pin, to_pay)
    qr_id, kind, terminal_id = qr.id, qr.kind, qr.terminal_id

    def work():
        wallet = owned_wallet(user, wallet_id)
        # A dynamic code is paid once: lock it first (then the accounts, in record_transfer), so
        # two payers queue here and the second sees it paid. A static code is paid by everyone
        # at that counter; locking it would queue them all behind one row for nothing.
        stmt = select(QrCode).where(QrCode.id == qr_id).execution_options(populate_existing=True)
        code = db.session.execute(stmt.with_for_update() if kind == "dynamic" else stmt).scalar_one()
        if code.status == "paid":
            raise AppError(Code.QR_ALREADY_PAID, "this code has already been paid")
        if code.status == "canceled":
            raise AppError(Code.QR_CANCELED, "this code was canceled by the merchant")
        if code.expires_at is not None and clock.as_utc(code.expires_at) <= clock.now():
            raise AppError(Code.QR_EXPIRED, "this code has expired; ask for a new one")
        if wallet.currency != code.currency:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"this code is in {code.currency}; pay from a "
                           f"{code.currency} wallet")
        if wallet.status != "active":
            raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        merchant = db.session.get(Merchant, code.merchant_id)
        account = merchant_account(merchant.id, code.currency)
        if merchant.status != "active" or account is None or account.status != "active":
            raise AppError(Code.QR_NOT_PAYABLE, "this merchant cannot take payments now")
        # Locked after the code (the order every order use case follows). The payment carries
        # the order's full reference: the code holds at most 25 characters of it.
        order = orders.for_payment(code.id) if code.kind == "dynamic" else None
        reference = order.reference if order is not None else code.reference
        def announce(txn: Transaction) -> None:
            # Only payments: a manual-capture hold is not a payment until the terminal captures it.
            # The same core fields as a terminal charge's payment.succeeded (app.pos.charges.services):
            # id and transaction_id (the ledger transaction), amount, currency, reference, terminal_id.
            emit(merchant.id, "payment.succeeded", {
                "id": txn.id, "transaction_id": txn.id, "amount": to_pay, "currency": code.currency,
                "reference": reference, "qr_code_id": code.id, "terminal_id": code.terminal_id,
                "order_id": order.id if order is not None else None,
                "created_at": clock.as_utc(txn.created_at).isoformat()})

        txn = _book(code, wallet, account, user, to_pay, reference, announce)
        if code.kind == "dynamic":
            code.status, code.paid_transaction_id = "paid", txn.id
        if order is not None:
            orders.mark_paid(order, txn, code.payload)
        return 201, {"id": txn.id, "status": txn.status, "amount": to_pay, "currency": code.currency,
                     "merchant": {"id": merchant.id, "name": merchant.name, "city": merchant.city},
                     "reference": reference, "qr_code_id": code.id, "wallet_id": wallet.id,
                     "created_at": clock.as_utc(txn.created_at).isoformat()}

    status, body = run_once(idem, work)
    if terminal_id is not None and status == 201:
        # After the commit, never before: a woken terminal re-reads the code and must see it paid.
        get_notifier().publish(f"qr:{qr_id}")
    return status, body

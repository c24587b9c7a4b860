"""Paying a merchant-presented code from the app: scan, (preview with /qr/decode), pay.

The payload must be exactly the one we stored for the code it names: any change to the amount,
the currency or the reference makes it a different string, and it is refused as not payable.
A code a terminal presented (app.pos.payment_requests.services) books the payment to that terminal, and
its commit wakes the terminal's long poll. A code that is an online order's
(app.checkout.orders.services) marks the order paid in the same unit of work, and every payment writes
its "payment.succeeded" event (and "order.paid") to the outbox there too.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.auth.services.pin import require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, run_once
from app.core.notify import get_notifier
from app.extensions import db
from app.checkout.orders import services as orders
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.merchant.services import merchant_account
from app.pos.batches.services import hold_batch_open
from app.qr import emv
from app.qr.merchant_codes import read
from app.qr.models import QrCode
from app.wallet import holds, ledger
from app.wallet.models import Account, Transaction
from app.wallet.services import owned_wallet, require_verified


def _our_code(payload: str) -> QrCode:
    try:
        reading = read(emv.decode(payload), current_app.config["QR_GUID"])
    except emv.EmvError as exc:
        raise AppError(Code.QR_INVALID, str(exc), {"tag": exc.tag, "reason": exc.reason}) from None
    if reading.scheme != "ours":
        raise AppError(Code.QR_NOT_PAYABLE, f"a {reading.scheme} code; this wallet pays only its own "
                       "merchants' codes")
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


def pay(user: User, *, payload: str, wallet_id: str, amount: int | None, pin: str | None,
        idem: IdempotencyRequest | None) -> tuple[int, dict]:
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

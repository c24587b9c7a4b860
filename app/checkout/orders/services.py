"""Online orders: a dynamic QR code (app.qr) plus the shop's reference and refund tally. The
customer pays it with POST /api/v1/qr/payments: qr_pay (app/checkout/qr_payments/qr_pay.sql) marks
the order paid and writes order.paid in the payment's own statement, so an order is paid exactly
when the money moved.

Lock order everywhere: the code row, then the order row, then the accounts (record_transfer).
A payment, a cancel and the expiry job queue on the code and the first to commit decides.
"expired" is read from expires_at while the row says pending (no job must run for a checkout
to end); `flask orders expire` writes it down and emits order.expired.
"""
from __future__ import annotations

import functools
import hashlib
import json
from urllib.parse import quote

from flask import current_app
from sqlalchemy import and_, or_, select, text
from sqlalchemy.exc import IntegrityError

from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database, run_once
from app.core.pagination import decode_keyset, encode_keyset
from app.core.ids import new_id
from app.core.observability import background_round
from app.core.uow import end_read, retrying, unit_of_work
from app.extensions import db
from app.merchant.events import emit
from app.checkout.orders.models import Order
from app.merchant.models import Merchant
from app.qr import services as qr_services
from app.qr.models import QrCode
from app.wallet import ledger

REFUNDABLE = ("paid", "partially_refunded")
EMV_REFERENCE_MAX = 25


def code_reference(reference: str) -> str:
    """The reference printed in the code (EMV 62/05: up to 25 printable ASCII characters): a
    short one as it is; a longer one as its first 16 characters, "-", 8 hex digits of its SHA-256
    (two long references with one start still read differently). Nothing is looked up by it (the
    code is found by its id, tag 26); the full reference stays on the order and the payment."""
    if len(reference) <= EMV_REFERENCE_MAX:
        return reference
    return f"{reference[:16]}-{hashlib.sha256(reference.encode()).hexdigest()[:8]}"


def effective_status(order: Order) -> str:
    if order.status == "pending" and clock.as_utc(order.expires_at) <= clock.now():
        return "expired"
    return order.status


def deep_link(payload: str) -> str:
    """The app link that opens the payment of `payload` (order_answer in SQL is given it)."""
    return f"{current_app.config['DEEP_LINK_BASE']}?payload={quote(payload, safe='')}"


def order_out(order: Order, payload: str) -> dict:
    return {"id": order.id, "status": effective_status(order), "amount": order.amount, "currency": order.currency,
            "reference": order.reference, "description": order.description, "payload": payload,
            "deep_link": deep_link(payload),
            "qr_image_url": f"/api/v1/qr-codes/{order.qr_code_id}.png", "transaction_id": order.transaction_id,
            "refunded_amount": order.refunded_amount, "expires_at": clock.iso(order.expires_at),
            "created_at": clock.iso(order.created_at), "updated_at": clock.iso(order.updated_at)}


def _locked(stmt):
    return stmt.with_for_update().execution_options(populate_existing=True)  # re-read after the lock


def _find(merchant_id: str, order_id: str, *, lock: bool = False) -> Order:
    """The merchant's order, else 404: another merchant's looks exactly like a missing one."""
    stmt = select(Order).where(Order.id == order_id, Order.merchant_id == merchant_id)
    order = db.session.execute(_locked(stmt) if lock else stmt).scalar_one_or_none()
    if order is None:
        raise not_found("order")
    return order


def _lock_code(qr_code_id: str) -> QrCode:
    return db.session.execute(_locked(select(QrCode).where(QrCode.id == qr_code_id))).scalar_one()


def create_order(merchant_id: str, *, amount: int, currency: str, reference: str, description: str | None,
                 expires_in: int | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    def work():
        if db.session.execute(select(Order.id).filter_by(merchant_id=merchant_id, reference=reference)).first():
            raise AppError(Code.REFERENCE_TAKEN, "this merchant already has an order with this reference")
        merchant = db.session.get(Merchant, merchant_id)
        qr = qr_services.issue_code(merchant, kind="dynamic", currency=currency, amount=amount,
                                    reference=code_reference(reference), expires_in=expires_in)
        order = Order(id=new_id("ord"), merchant_id=merchant_id, qr_code_id=qr.id, amount=amount, currency=currency,
                      reference=reference, description=description, status="pending", refunded_amount=0,
                      expires_at=qr.expires_at, created_at=qr.created_at, updated_at=qr.created_at)
        db.session.add(order)
        try:
            db.session.flush()
        except IntegrityError as exc:
            # The check above misses an order with this reference created at the same moment;
            # the unique constraint does not (the second INSERT waits for the first and fails).
            if "merchant_reference" not in str(exc.orig) and "orders.reference" not in str(exc.orig):
                raise
            raise AppError(Code.REFERENCE_TAKEN, "this merchant already has an order with this reference") from None
        return 201, order_out(order, qr.payload)

    return run_once(idem, work)


def get_order(merchant_id: str, order_id: str) -> dict:
    order = _find(merchant_id, order_id)
    return order_out(order, db.session.get(QrCode, order.qr_code_id).payload)


# --- listing: newest first, by (created_at, id) -----------------------------------------------

def _status_filter(status: str):
    now = clock.now()
    if status == "pending":
        return and_(Order.status == "pending", Order.expires_at > now)
    if status == "expired":
        return or_(Order.status == "expired", and_(Order.status == "pending", Order.expires_at <= now))
    return Order.status == status


def list_orders(merchant_id: str, *, status: str | None, limit: int, cursor: str | None) -> dict:
    """(created_at, id) orders rows totally (ids break ties), and the cursor names the last row
    seen by both, so an order created between two pages never shifts the later pages."""
    stmt = (select(Order, QrCode.payload).join(QrCode, QrCode.id == Order.qr_code_id)
            .where(Order.merchant_id == merchant_id)
            .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1))
    if status is not None:
        stmt = stmt.where(_status_filter(status))
    if cursor is not None:
        created_at, order_id = decode_keyset(cursor)
        stmt = stmt.where(or_(Order.created_at < created_at,
                              and_(Order.created_at == created_at, Order.id < order_id)))
    rows = db.session.execute(stmt).all()
    has_more, rows = len(rows) > limit, rows[:limit]
    return {"data": [order_out(order, payload) for order, payload in rows], "has_more": has_more,
            "next_cursor": encode_keyset(rows[-1][0].created_at, rows[-1][0].id) if has_more else None}


# --- refunds, cancel, expiry -------------------------------------------------------------------

# What order_refund (order_refund.sql) may refuse; all after the key is claimed, so stored under it.
REFUND_REFUSALS: ledger.Refusals = {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "order_not_found": (Code.NOT_FOUND, "order not found", None),
    "not_refundable": (Code.ORDER_NOT_REFUNDABLE, "a {status} order cannot be refunded", ledger.AS_RAISED),
    "exceeds_remaining": (Code.REFUND_EXCEEDS_REMAINING, "only {remaining} of this order is left to refund",
                          ledger.AS_RAISED),
}
_ORDER_REFUND = text("SELECT * FROM order_refund(:scope, :key, :fingerprint, :ttl, :merchant_id, :order_id, :amount, "
                     ":initiator_id, :now, :now_iso, :transaction_id, :transfer_id, :event_id)")


def refund_order(merchant_id: str, order_id: str, *, amount: int, initiator_id: str | None,
                 idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """Merchant account -> the customer's wallet, tied to the payment by related_id, in one
    database call (order_refund): the order row lock makes two refunds queue, so the second sees
    what the first took; ledger_post checks the merchant's balance, credit buckets included."""
    now = clock.now()
    params = {**claim_params(idem), "merchant_id": merchant_id,
              "order_id": order_id, "amount": amount, "initiator_id": initiator_id, "now": now,
              "now_iso": clock.iso(now), "transaction_id": new_id("txn"), "transfer_id": new_id("trf"),
              "event_id": new_id("msg")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _ORDER_REFUND, params, REFUND_REFUSALS, set())
        return row.status, json.loads(row.body)

    return run_in_database(idem, call)


def cancel_order(merchant_id: str, order_id: str) -> dict:
    """A pending order can no longer be paid; the code's row lock (taken first, as a payment
    does) makes a payment racing the cancel end in exactly one of the two."""
    with unit_of_work() as uow:
        qr = _lock_code(_find(merchant_id, order_id).qr_code_id)
        order = _find(merchant_id, order_id, lock=True)
        status = effective_status(order)
        if status != "pending":
            raise AppError(Code.ORDER_NOT_PENDING, f"this order is {status}", {"status": status})
        qr.status = "canceled"
        order.status, order.updated_at = "canceled", clock.now()
        out = order_out(order, qr.payload)
        emit(merchant_id, "order.canceled", out)
        uow.commit()
    return out


def expire_due() -> int:
    """Write down "expired" for pending orders past their expiry, one unit of work each (a
    failure leaves the others done). Returns how many were expired."""
    due = db.session.execute(select(Order.id).where(Order.status == "pending", Order.expires_at <= clock.now())
                             .order_by(Order.expires_at)).scalars().all()
    end_read()
    expired = sum(retrying(functools.partial(_expire_one, order_id)) for order_id in due)
    background_round("order_expiry", expired=expired)
    return expired


def _expire_one(order_id: str) -> int:
    with unit_of_work() as uow:
        qr = _lock_code(db.session.get(Order, order_id).qr_code_id)
        order = db.session.execute(_locked(select(Order).where(Order.id == order_id))).scalar_one()
        if order.status != "pending" or effective_status(order) != "expired":
            return 0  # paid or canceled while we were getting here
        order.status, order.updated_at = "expired", clock.now()
        emit(order.merchant_id, "order.expired", order_out(order, qr.payload))
        uow.commit()
    return 1

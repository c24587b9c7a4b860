"""Present, then confirm: the terminal shows a dynamic QR code, the customer pays it in the app.

A payment request is a dynamic code (app.qr.models.QrCode) that names its terminal; its id is
the code's id, and its status is read from the code (and, for a manual capture, from the hold):

    code active            -> pending      (expired once its expires_at has passed)
    code paid              -> succeeded    ("capture": "automatic")
                           -> authorized, captured, voided or expired  (the hold's status, "manual")
    code canceled          -> canceled

The customer's payment (app.checkout.qr_payments.services.pay) and a cancel both lock the code's row first, so a
payment racing a cancel ends in exactly one of the two. Both publish "qr:<id>" after their
commit, which wakes terminals waiting on the request.
"""
from __future__ import annotations

import json

from sqlalchemy import select, text

from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database, run_once
from app.core.ids import new_id
from app.core.notify import get_notifier, long_poll
from app.core.uow import end_read, unit_of_work
from app.extensions import db
from app.merchant.models import Merchant
from app.pos.terminals.models import Terminal
from app.qr import services as qr_services
from app.qr.models import QrCode
from app.wallet import holds, ledger
from app.wallet.models import Transaction

_CODE_STATUS = {"active": "pending", "expired": "expired", "canceled": "canceled"}


def _channel(request_id: str) -> str:
    return f"qr:{request_id}"


def _status(qr: QrCode, hold: Transaction | None) -> str:
    if qr.status == "paid":
        return hold.status if hold is not None else "succeeded"
    return _CODE_STATUS[qr_services.status_of(qr)]


def request_out(qr: QrCode, hold: Transaction | None = None) -> dict:
    return {"id": qr.id, "status": _status(qr, hold), "amount": qr.amount, "currency": qr.currency,
            "reference": qr.reference, "payload": qr.payload, "capture": qr.capture,
            "expires_at": clock.as_utc(qr.expires_at).isoformat(), "transaction_id": qr.paid_transaction_id,
            "qr_image_url": f"/api/v1/qr-codes/{qr.id}.png", "created_at": clock.as_utc(qr.created_at).isoformat()}


def _find(terminal: Terminal, request_id: str, *, lock: bool = False) -> QrCode:
    """The terminal's own request; another terminal's (or a staff-issued code) is not found.

    populate_existing: a long poll reads the same row again and again, and must see each
    commit rather than what the session loaded before.
    """
    stmt = (select(QrCode).filter_by(id=request_id, terminal_id=terminal.id)
            .execution_options(populate_existing=True))
    qr = db.session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if qr is None:
        raise not_found("payment request")
    return qr


def _hold(qr: QrCode) -> Transaction | None:
    if qr.capture != "manual" or qr.paid_transaction_id is None:
        return None
    stmt = (select(Transaction).filter_by(id=qr.paid_transaction_id)
            .execution_options(populate_existing=True))
    return db.session.execute(stmt).scalar_one()


def _read(terminal: Terminal, request_id: str) -> dict:
    """The request as it is now, then the read transaction ends: between two reads a waiting
    terminal must hold no database connection (the pool is far smaller than the waiters)."""
    try:
        qr = _find(terminal, request_id)
        return request_out(qr, _hold(qr))
    finally:
        end_read()


def create(terminal: Terminal, *, amount: int, currency: str, reference: str, capture: str,
           expires_in: int | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    def work():
        merchant = db.session.get(Merchant, terminal.merchant_id)
        qr = qr_services.issue_code(merchant, kind="dynamic", currency=currency, amount=amount,
                                    reference=reference, expires_in=expires_in, terminal_label=terminal.label,
                                    terminal_id=terminal.id, capture=capture)
        return 201, request_out(qr)

    return run_once(idem, work)


def get(terminal: Terminal, request_id: str, *, wait: float) -> dict:
    """The request now, or (with wait > 0) the moment it leaves "pending", or after `wait` s."""
    latest: dict = {}

    def settled() -> bool:
        latest["out"] = _read(terminal, request_id)
        return latest["out"]["status"] != "pending"

    # long_poll (wait_until) subscribes before the first read, so a payment committing in between is seen;
    # with wait=0 it reads once. Expiry publishes nothing: the periodic re-check catches it.
    long_poll(settled, _channel(request_id), timeout=wait)
    return latest["out"]


def cancel(terminal: Terminal, request_id: str) -> dict:
    with unit_of_work() as uow:
        # The same row lock the payment takes first: whichever commits first wins, and the other
        # finds the code paid (409 here) or canceled (409 qr_canceled there).
        qr = _find(terminal, request_id, lock=True)
        status = _status(qr, _hold(qr))
        if status != "pending":
            raise AppError(Code.PAYMENT_REQUEST_NOT_PENDING, f"this payment request is {status}",
                           {"status": status})
        qr.status = "canceled"
        out = request_out(qr)
        uow.commit()
    get_notifier().publish(_channel(request_id))
    return out


# What request_hold_settle (app/pos/sql/terminal_holds.sql) refuses, besides hold_settle's own.
SETTLE_REFUSALS: ledger.Refusals = holds.HOLD_REFUSALS | {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "request_not_found": (Code.NOT_FOUND, "payment request not found", None),
    "request_not_pending": (Code.PAYMENT_REQUEST_NOT_PENDING, "this payment request is {status}, not an authorized "
                            "manual capture", ledger.AS_RAISED),
}
_SETTLE = text("SELECT * FROM request_hold_settle(:scope, :key, :fingerprint, :ttl, :terminal_id, :request_id, "
               ":action, :amount, :now, :transfer_id, :event_id)")


def capture(terminal: Terminal, request_id: str, amount: int | None,
            idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """Take `amount` (default: all) of the customer's hold; the rest is released."""
    return _settle(terminal, request_id, "capture", amount, idem)


def void(terminal: Terminal, request_id: str, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """Release the customer's whole hold."""
    return _settle(terminal, request_id, "void", None, idem)


def _settle(terminal: Terminal, request_id: str, action: str, amount: int | None,
            idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (request_hold_settle): the key, the request's row lock (the one a
    payment takes first too, so a capture and a void of one request queue), the hold settled,
    the merchant told by the call that changed it (authorization.captured / .voided), the stored
    answer. Then the wake-up for anyone following the request."""
    params = {**claim_params(idem), "terminal_id": terminal.id,
              "request_id": request_id, "action": action, "amount": amount, "now": clock.now(),
              "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _SETTLE, params, SETTLE_REFUSALS, set())
        return row.status, json.loads(row.body)

    result = run_in_database(idem, call)
    get_notifier().publish(_channel(request_id))
    return result

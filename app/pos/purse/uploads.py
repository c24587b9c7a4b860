"""Purse records in a terminal's upload (POST /api/v1/pos/offline/sales, records of kind "purse").

Python checks what needs keys (the issuer's signature on the certificate, the device's on the
token) and the certificate's own limits; each failure is a refusal with a stable reason and
changes nothing. A token that passes is captured by one call to purse_capture (purse.sql), which
pays the merchant always, and finds overspends. All in the upload's transaction.

Lock order: the escrow account first, then purse rows (in purse_capture), then wallets and the
merchant's account. Every purse capture and release takes escrow first, so two uploads that
touch the same purses in different orders queue on escrow instead of deadlocking. (The price:
purse captures of one currency run one at a time; each is a few statements.)
"""
from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import text

from app.core import clock
from app.core.ids import new_id
from app.core.request_ids import carrying_request_id, request_id_param
from app.extensions import db
from app.merchant.models import Merchant
from app.pos.purse import certs, issuer
from app.pos.purse.schemas import PurseRecord
from app.pos.purse.services import RECEIVABLE, lock_escrow
from app.pos.terminals.models import Terminal
from app.wallet import ledger

_CAPTURE = text("SELECT * FROM purse_capture(:purse_id, :counter, :token_hash, :terminal_id, :merchant_id, :amount, "
                ":currency, :sold_at, :escrow_id, :receivable_id, :now, :token_id, :txn_id, :hold_txn_id, :ids, :event_id)")


def is_purse(raw: object) -> bool:
    return isinstance(raw, dict) and raw.get("kind") == "purse"


def refusal(record: PurseRecord, terminal: Terminal, currency: str) -> str | None:
    """Why the server refuses this token, or None. The order is the reference terminal's."""
    cert, token = record.certificate.model_dump(), record.token.model_dump()
    key = issuer.keys().get(cert["kid"])
    if key is None:
        return "unknown_issuer_key"
    if not certs.verifies(certs.public_key(key), certs.cert_message(cert), cert["signature"]):
        return "tampered"
    if token["purse_id"] != cert["purse_id"] or not certs.verifies(cert["device_key"], certs.token_message(token),
                                                                  token["signature"]):
        return "tampered"
    if token["time"] > cert["valid_until"]:
        return "expired"
    if token["terminal_id"] != terminal.id:
        return "wrong_terminal"
    if token["currency"] != currency or cert["currency"] != currency:
        return "foreign_currency"
    if token["amount"] > cert["max_payment"]:
        return "above_cap"
    return None


def _answer(index: int, record: PurseRecord | None, status: str, reason: str | None = None,
            payment_id: str | None = None, overspend: bool = False, errors: list | None = None) -> dict:
    return {"index": index, "seq": None, "status": status, "reason": reason, "payment_id": payment_id,
            "breaches": [], "errors": errors or [], "purse_id": record.token.purse_id if record else None,
            "counter": record.token.counter if record else None, "overspend": overspend}


def one(terminal: Terminal, index: int, raw: dict) -> dict:
    try:
        record = PurseRecord.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "record", "message": e["msg"]} for e in exc.errors()]
        return _answer(index, None, "refused", "malformed", errors=errors)
    currency = db.session.get(Merchant, terminal.merchant_id).currency
    reason = refusal(record, terminal, currency)
    if reason is not None:
        return _answer(index, record, "refused", reason)
    token = record.token
    escrow = lock_escrow(currency)
    receivable = ledger.system_account(RECEIVABLE, currency)
    row = db.session.execute(carrying_request_id(_CAPTURE), {  # its event names the request
        "purse_id": token.purse_id, "counter": token.counter, "token_hash": certs.token_hash(token.model_dump()),
        "terminal_id": terminal.id, "merchant_id": terminal.merchant_id, "amount": token.amount,
        "currency": token.currency, "sold_at": datetime.fromtimestamp(token.time, UTC), "escrow_id": escrow.id,
        "receivable_id": receivable.id, "now": clock.now(), "token_id": new_id("ptk"), "txn_id": new_id("txn"),
        "hold_txn_id": new_id("txn"), "ids": [new_id("trf") for _ in range(5)],
        "event_id": new_id("msg"), **request_id_param()}).one()
    if row.outcome in ("posted", "duplicate"):
        return _answer(index, record, row.outcome, payment_id=row.transaction_id, overspend=row.overspend)
    return _answer(index, record, "refused", row.outcome)

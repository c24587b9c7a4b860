"""Purse records in a terminal's upload (POST /api/v1/pos/offline/sales, records of kind "purse").

Python checks what needs keys (the issuer's signature on the certificate, the device's on the
token) and the certificate's own limits; each failure is a refusal with a stable reason and
changes nothing. A token that passes is captured by one call to purse_capture (purse.sql), which
pays the merchant always, and finds overspends.

Each capture is a transaction of its own (after the upload's other records): an upload holding
the locks of several captures at once (purse rows, escrow accounts, the merchant's credit
buckets) could deadlock with another upload taking them in another order. One capture's locks
are taken in the one order purse.sql gives, and the escrow is spread over accounts chosen by
purse id, so captures of different purses do not wait on each other. A capture that commits and
a crash before the answer is harmless: the record sent again is a `duplicate`.
"""
from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import text

from app.core import clock
from app.core.ids import new_id
from app.core.uow import retrying, unit_of_work
from app.core.request_ids import carrying_request_id, request_id_param
from app.extensions import db
from app.merchant.models import Merchant
from app.pos.purse import certs, issuer, sequence
from app.pos.purse.schemas import PurseRecord
from app.pos.batches.services import hold_batch_open
from app.pos.purse.services import RECEIVABLE
from app.pos.terminals.models import Terminal
from app.wallet import ledger

CAPTURE = text("SELECT * FROM purse_capture(:purse_id, :counter, :token_hash, :terminal_id, :merchant_id, :amount, "
               ":currency, :sold_at, :receivable_id, :now, :token_id, :txn_id, :hold_txn_id, :ids, :event_id)")


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
            payment_id: str | None = None, overspend: bool = False, errors: list | None = None,
            gaps: list | None = None) -> dict:
    return {"purse_gaps": gaps or [], "index": index, "seq": None, "status": status, "reason": reason, "payment_id": payment_id,
            "breaches": [], "errors": errors or [], "purse_id": record.token.purse_id if record else None,
            "counter": record.token.counter if record else None, "overspend": overspend}


def one(terminal: Terminal, index: int, raw: dict) -> dict:
    """Check one purse record and capture it in a transaction of its own (call it outside any)."""
    try:
        record = PurseRecord.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "record", "message": e["msg"]} for e in exc.errors()]
        return _answer(index, None, "refused", "malformed", errors=errors)
    currency = db.session.get(Merchant, terminal.merchant_id).currency
    reason = refusal(record, terminal, currency)
    if reason is not None:
        return _answer(index, record, "refused", reason)

    def attempt():
        with unit_of_work() as uow:
            hold_batch_open(terminal.id)  # a batch close waits for it: it lands in exactly one batch
            row = db.session.execute(carrying_request_id(CAPTURE), capture_params(  # its event names the request
                terminal, record.token, currency)).one()
            answer = (row.outcome, row.transaction_id, row.overspend, sequence.gaps(record.token.purse_id))
            uow.commit()
            return answer
    outcome, payment_id, overspend, gaps = retrying(attempt)
    if outcome in ("posted", "duplicate"):
        return _answer(index, record, outcome, payment_id=payment_id, overspend=overspend, gaps=gaps)
    return _answer(index, record, "refused", outcome)


def capture_params(terminal: Terminal, token, currency: str) -> dict:
    """purse_capture's arguments for a checked token (new ids each call: a retry is a new attempt)."""
    receivable = ledger.system_account(RECEIVABLE, currency)
    return {"purse_id": token.purse_id, "counter": token.counter, "token_hash": certs.token_hash(token.model_dump()),
            "terminal_id": terminal.id, "merchant_id": terminal.merchant_id, "amount": token.amount,
            "currency": token.currency, "sold_at": datetime.fromtimestamp(token.time, UTC),
            "receivable_id": receivable.id, "now": clock.now(), "token_id": new_id("ptk"), "txn_id": new_id("txn"),
            "hold_txn_id": new_id("txn"), "ids": [new_id("trf") for _ in range(5)], "event_id": new_id("msg"), **request_id_param()}


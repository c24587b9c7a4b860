"""A terminal back online uploads what it sold offline; the server matches every record with the
confirmation it gave (README, "Offline terminals", section 4).

Idempotent per record: a record is keyed by (terminal, seq) and a resent one gets the answer the
first got (posted records come back "duplicate"), so a batch sent twice, late or out of order
changes nothing the second time. Nothing here moves money: in case 1 the customer's payment
moved it, online. Uploads of one terminal queue on its row (FOR NO KEY UPDATE, which payments'
KEY SHARE does not wait for), so two copies of one batch cannot both count a record.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import func, select

from app.core import clock
from app.core.errors import AppError, Code
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.pos.offline import limits as offline_limits
from app.pos.offline.models import OfflinePayment, OfflineReport
from app.pos.offline.reconcile import gaps_of, unreported_payments
from app.pos.offline.schemas import OfflineRecord
from app.pos.purse import uploads as purse_uploads
from app.pos.terminals.models import Terminal

def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _fingerprint(record: OfflineRecord) -> str:
    return hashlib.sha256(json.dumps(record.model_dump(), sort_keys=True).encode()).hexdigest()


def _answer(index: int, report: OfflineReport, status: str | None = None) -> dict:
    return {"index": index, "seq": report.seq, "status": status or report.status, "reason": report.reason,
            "payment_id": report.payment_id, "breaches": [b for b in report.breaches.split(",") if b]}


def _mismatch(record: OfflineRecord, payment: OfflinePayment) -> bool:
    return (record.nonce != payment.nonce or record.amount != payment.amount or record.currency != payment.currency
            or not hmac.compare_digest(record.confirmation, payment.confirmation)
            or (record.payment_id is not None and record.payment_id != payment.id))


def _breaches(terminal: Terminal, record: OfflineRecord, limits: dict) -> list[str]:
    """The terminal enforces these before it sells; here they are checked again, and a breach is
    reported (the sale itself stands: the customer paid online)."""
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(OfflineReport.amount), 0))
        .where(OfflineReport.terminal_id == terminal.id, OfflineReport.status == "posted",
               OfflineReport.offline_since == _at(record.offline_since))).one()
    found = []
    if record.amount > limits["max_sale"]:
        found.append("max_sale")
    if total + record.amount > limits["max_total"]:
        found.append("max_total")
    if count + 1 > limits["max_count"]:
        found.append("max_count")
    if record.sold_at - record.offline_since > limits["max_hours"] * 3600:
        found.append("max_hours")
    return found


def _one(terminal: Terminal, index: int, raw: object, limits: dict) -> dict:
    try:
        record = OfflineRecord.model_validate(raw)
    except ValidationError as exc:
        seq = raw.get("seq") if isinstance(raw, dict) and isinstance(raw.get("seq"), int) else None
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "record", "message": e["msg"]} for e in exc.errors()]
        return {"index": index, "seq": seq, "status": "refused", "reason": "malformed", "payment_id": None,
                "breaches": [], "errors": errors}
    fingerprint = _fingerprint(record)
    earlier = db.session.execute(select(OfflineReport).filter_by(terminal_id=terminal.id, seq=record.seq)).scalar_one_or_none()
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            return {"index": index, "seq": record.seq, "status": "refused", "reason": "conflict",
                    "payment_id": None, "breaches": []}
        return _answer(index, earlier, "duplicate" if earlier.status == "posted" else None)
    payment = db.session.execute(select(OfflinePayment).filter_by(terminal_id=terminal.id, seq=record.seq)
                                 .with_for_update()).scalar_one_or_none()
    reason = "not_issued" if payment is None else "mismatch" if _mismatch(record, payment) else None
    breaches = _breaches(terminal, record, limits) if reason is None else []
    report = OfflineReport(id=new_id("ofr"), terminal_id=terminal.id, merchant_id=terminal.merchant_id, seq=record.seq,
                           status="refused" if reason else "posted", reason=reason, fingerprint=fingerprint,
                           payment_id=payment.id if payment is not None and reason is None else record.payment_id,
                           amount=record.amount, currency=record.currency, sold_at=_at(record.sold_at),
                           offline_since=_at(record.offline_since), breaches=",".join(breaches),
                           received_at=clock.now())
    db.session.add(report)
    if reason is None:
        payment.reported_at = report.received_at
    db.session.flush()  # the next record's limit sums see this one
    return _answer(index, report)


def upload(terminal: Terminal, records: list) -> dict:
    most = current_app.config["OFFLINE_UPLOAD_MAX_RECORDS"]
    if len(records) > most:
        raise AppError(Code.PAYLOAD_TOO_LARGE, f"at most {most} records per upload; send the rest in another",
                       {"max_records": most, "records": len(records)})
    with unit_of_work() as uow:
        db.session.execute(select(Terminal.id).where(Terminal.id == terminal.id).with_for_update(key_share=True))
        limits = offline_limits.effective(terminal.id)
        results = [None if purse_uploads.is_purse(raw) else _one(terminal, index, raw, limits)
                   for index, raw in enumerate(records)]
        gaps = gaps_of(terminal.id)
        uow.commit()
    # Both offline: purse tokens, each captured in a transaction of its own (app.pos.purse.uploads says why).
    results = [purse_uploads.one(terminal, index, raw) if result is None else result
               for index, (raw, result) in enumerate(zip(records, results))]
    unreported, _ = unreported_payments([terminal.id])
    return {"results": results, "gaps": gaps, "unreported": unreported}

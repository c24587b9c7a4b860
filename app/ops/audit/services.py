"""Reading the audit trail: newest first, filtered by actor, object, action and time.

The cursor is the last seen record's sequence number: records only ever get larger numbers, so
pages stay stable while new records arrive.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.core import clock
from app.core.models import AuditRecord
from app.core.pagination import decode_cursor, encode_cursor
from app.extensions import db


def record_out(r: AuditRecord) -> dict:
    return {"seq": r.seq, "actor_type": r.actor_type, "actor_id": r.actor_id, "action": r.action,
            "object_type": r.object_type, "object_id": r.object_id, "before": r.before, "after": r.after,
            "reason": r.reason, "ip": r.ip, "created_at": clock.iso(r.created_at), "hash": r.hash}


def list_records(*, actor_id: str | None = None, object_id: str | None = None, object_type: str | None = None,
                 action: str | None = None, since: datetime | None = None, until: datetime | None = None,
                 cursor: str | None = None, limit: int = 20) -> dict:
    stmt = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit + 1)
    for column, value in ((AuditRecord.actor_id, actor_id), (AuditRecord.object_id, object_id),
                          (AuditRecord.object_type, object_type), (AuditRecord.action, action)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(AuditRecord.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditRecord.created_at < until)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(AuditRecord.seq < after)
    rows = list(db.session.execute(stmt).scalars())
    page, more = rows[:limit], len(rows) > limit
    return {"data": [record_out(r) for r in page], "has_more": more,
            "next_cursor": encode_cursor(page[-1].seq) if more else None}

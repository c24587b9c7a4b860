"""`flask audit verify`: walk the audit trail in order and recompute every link of its chain.

Checks: sequence numbers run 1..n with no gap (a deleted record); each record names the hash of
the one before it (the genesis hash for the first); each record's hash equals audit_hash over
its stored content (app/core/sql/audit.sql: the same function that wrote it), so an edited field
shows. Read in one REPEATABLE READ snapshot, as the ledger's verify does, so records appended
while it runs cannot look like a broken chain.
"""
from __future__ import annotations

from sqlalchemy import text

from app.core.uow import end_read
from app.extensions import db

GENESIS_HASH = "0" * 64
_RECORDS = text("SELECT seq, prev_hash, hash, audit_hash(seq, prev_hash, actor_type, actor_id, action, object_type, "
                "object_id, before, after, reason, ip, created_at) AS expected FROM audit_records ORDER BY seq")


def verify_audit() -> tuple[int, list[str]]:
    """(records checked, problems found)."""
    end_read()
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    db.session.execute(text("SET TRANSACTION READ ONLY"))
    try:
        problems: list[str] = []
        previous, count = GENESIS_HASH, 0
        for row in db.session.execute(_RECORDS).yield_per(2000):
            count += 1
            if row.seq != count:
                problems.append(f"record {row.seq}: expected sequence number {count} (a record is missing)")
            if row.prev_hash != previous:
                problems.append(f"record {row.seq}: does not follow the record before it (chain broken)")
            if row.expected != row.hash:
                problems.append(f"record {row.seq}: hash mismatch (content altered)")
            previous, count = row.hash, row.seq
        return count, problems
    finally:
        end_read()

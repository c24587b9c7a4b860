"""Terminals an operator should look at: not seen for a while, or holding offline sales.

"Last seen" is the latest thing the terminal left in the database: a payment or refund it took
(transactions.terminal_id, indexed), an offline upload (offline_reports), or its registration or
secret rotation. The signed request path records no per-request timestamp, on purpose: a write
(or a Redis round trip) on every terminal request to feed a console would tax every payment; a
terminal that only polls its config is therefore "not seen". Offline: confirmations the server
gave that the terminal never reported, records it uploaded that were refused, and gaps in its
reported sequence (app.pos.offline.reconcile, the same figures the merchant's dashboard shows).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.core import clock
from app.core.uow import end_read
from app.extensions import db
from app.pos.offline.reconcile import gaps_of

_WATCH = text("""
SELECT * FROM (
  SELECT t.id, t.label, t.kind, t.status, t.merchant_id, m.name AS merchant_name,
         greatest(t.created_at, t.secret_rotated_at,
                  (SELECT max(x.created_at) FROM transactions x WHERE x.terminal_id = t.id),
                  (SELECT max(r.received_at) FROM offline_reports r WHERE r.terminal_id = t.id)) AS last_seen_at,
         (SELECT count(*) FROM offline_payments p WHERE p.terminal_id = t.id AND p.reported_at IS NULL) AS unreported,
         (SELECT count(*) FROM offline_reports r WHERE r.terminal_id = t.id AND r.status = 'refused') AS refused,
         EXISTS (SELECT 1 FROM offline_reports r WHERE r.terminal_id = t.id) AS uploaded
  FROM terminals t JOIN merchants m ON m.id = t.merchant_id
) watched
WHERE (status = 'active' AND last_seen_at < :cutoff) OR unreported > 0 OR refused > 0
ORDER BY last_seen_at, id
LIMIT :limit
""")


def watch_list(*, stale_after: int, limit: int) -> dict:
    cutoff = clock.now() - timedelta(seconds=stale_after)
    rows = db.session.execute(_WATCH, {"cutoff": cutoff, "limit": limit + 1}).mappings().all()
    page = rows[:limit]
    out = [{"id": r["id"], "label": r["label"], "kind": r["kind"], "status": r["status"],
            "merchant_id": r["merchant_id"], "merchant_name": r["merchant_name"],
            "last_seen_at": clock.iso(r["last_seen_at"]), "stale": clock.as_utc(r["last_seen_at"]) < cutoff,
            "unreported": r["unreported"], "refused": r["refused"],
            "gaps": gaps_of(r["id"]) if r["uploaded"] else []} for r in page]
    end_read()
    return {"data": out, "has_more": len(rows) > limit}

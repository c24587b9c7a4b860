"""The purse's sequence numbers: a token's `counter` is 1 for the purse's first token and one more
for each next one (README, "Offline terminals", case 3), signed in the token. So the server can
tell by number, not only by total, what is missing and what was spent twice:

- a number uploaded twice with other content is a double spend (purse_capture freezes the purse,
  'counter_reused'), even when the total is still within the allowance;
- a number never uploaded between 1 and the highest uploaded is a gap: a token some terminal
  still holds (it has not uploaded yet), or a sale lost with its terminal. Shown on the purse
  and in the upload's answer, so a lost token cannot vanish silently (as the terminal's own
  sequence gaps, app.pos.offline.reconcile).
"""
from __future__ import annotations

from sqlalchemy import text

from app.extensions import db

GAPS_LISTED = 50
_GAPS = text("SELECT previous + 1 AS first, counter - 1 AS last FROM ("
             "  SELECT counter, lag(counter, 1, 0::bigint) OVER (ORDER BY counter) AS previous"
             "  FROM (SELECT DISTINCT counter FROM purse_tokens WHERE purse_id = :purse_id) numbers) runs "
             f"WHERE counter > previous + 1 ORDER BY counter LIMIT {GAPS_LISTED}")


def gaps(purse_id: str) -> list[list[int]]:
    """Runs [first, last] of sequence numbers not uploaded below the highest uploaded (at most 50)."""
    return [[row.first, row.last] for row in db.session.execute(_GAPS, {"purse_id": purse_id})]

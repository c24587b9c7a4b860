"""Fees in the bank test: configured on some merchants (and a P2P fee) before the clients start,
and checked at the end against that configuration, with the pure rules (app/wallet/fee_rules.py),
not the database's own copy of them: every payment, capture and transfer carries the fee its
configuration says and has exactly one fee line of that amount; every refund gave back the share
the merchant's setting says; the revenue accounts hold the fee lines less the fees returned."""
from __future__ import annotations

import psycopg

from app.wallet.fee_rules import fee_amount, fee_returned_total

# (rate_bps, min_fee, refund_returns_fee) for the seed's first merchants; the others pay none.
MERCHANT_FEES = [(150, 10, True), (0, 25, False)]
P2P_FEE = (50, 1)


def configure(database_url: str, merchant_ids: list[str]) -> None:
    with psycopg.connect(database_url) as conn:
        for merchant_id, (rate, minimum, returns) in zip(merchant_ids, MERCHANT_FEES):
            conn.execute("UPDATE merchants SET fee_rate_bps = %s, fee_min = %s, refund_returns_fee = %s WHERE id = %s",
                         (rate, minimum, returns, merchant_id))
        conn.execute("UPDATE fee_settings SET p2p_rate_bps = %s, p2p_min = %s", P2P_FEE)


# What each fee-bearing transaction was charged on, and under which rate: payments and captured
# holds to a merchant (the captured amount), and P2P transfers.
_CHARGED = """
SELECT t.id, t.type, COALESCE(c.amount, t.amount), t.fee,
       COALESCE(m.fee_rate_bps, s.p2p_rate_bps), COALESCE(m.fee_min, s.p2p_min),
       (SELECT COALESCE(SUM(f.amount), 0) FROM transactions f WHERE f.related_id = t.id AND f.type = 'fee'),
       (SELECT COUNT(*) FROM transactions f WHERE f.related_id = t.id AND f.type = 'fee')
  FROM transactions t
  LEFT JOIN accounts a ON a.id = t.credit_account_id AND a.kind = 'merchant'
  LEFT JOIN merchants m ON m.id = a.merchant_id
  LEFT JOIN transfers p ON p.transaction_id = t.id AND p.kind = 'pending'
  LEFT JOIN transfers c ON c.pending_id = p.id AND c.kind = 'post_pending'
  CROSS JOIN fee_settings s
 WHERE (t.type = 'payment' AND m.id IS NOT NULL) OR t.type = 'transfer'
    OR (t.type = 'hold' AND t.status = 'captured' AND m.id IS NOT NULL)
"""

_RETURNED = """
SELECT t.id, COALESCE(c.amount, t.amount), t.fee, COALESCE(m.refund_returns_fee, s.refund_returns_fee),
       (SELECT COALESCE(SUM(r.amount), 0) FROM transactions r WHERE r.related_id = t.id AND r.type IN ('refund', 'reversal')),
       (SELECT COALESCE(SUM(r.fee), 0) FROM transactions r WHERE r.related_id = t.id AND r.type IN ('refund', 'reversal')),
       (SELECT COALESCE(SUM(f.amount), 0) FROM transactions r JOIN transactions f ON f.related_id = r.id
         AND f.type = 'fee_return' WHERE r.related_id = t.id),
       (SELECT bool_or(r.type = 'reversal') FROM transactions r WHERE r.related_id = t.id)
  FROM transactions t JOIN accounts a ON a.id = t.credit_account_id AND a.kind = 'merchant'
  JOIN merchants m ON m.id = a.merchant_id CROSS JOIN fee_settings s
  LEFT JOIN transfers p ON p.transaction_id = t.id AND p.kind = 'pending'
  LEFT JOIN transfers c ON c.pending_id = p.id AND c.kind = 'post_pending'
 WHERE t.type = 'payment' OR (t.type = 'hold' AND t.status = 'captured')
"""


def check_fees(conn: psycopg.Connection, violations: list[str]) -> dict:
    """Appends a violation per disagreement; answers what was seen (for the report line)."""
    charged = returned_total = 0
    for txn_id, kind, amount, fee, rate, minimum, lines, count in conn.execute(_CHARGED):
        expected = fee_amount(amount, rate, minimum)
        if fee != expected or lines != expected or count != (1 if expected else 0):
            violations.append(f"{kind} {txn_id} of {amount}: fee {fee}, {count} fee lines of {lines}, "
                              f"the configuration says {expected}")
        charged += lines
    for txn_id, amount, fee, returns, refunded, recorded, lines, reversed_ in conn.execute(_RETURNED):
        expected = fee_returned_total(fee, amount, refunded) if (returns or reversed_) else 0
        if recorded != expected or lines != expected:
            violations.append(f"payment {txn_id} (fee {fee}) refunded {refunded}: {recorded} recorded and {lines} "
                              f"returned in fee lines, the configuration says {expected}")
        returned_total += lines
    held, = conn.execute("SELECT COALESCE(SUM(b.credits_posted - b.debits_posted), 0) FROM accounts b "
                         "JOIN accounts r ON b.id = r.id OR b.parent_id = r.id WHERE r.code = 'fee_revenue'").fetchone()
    if held != charged - returned_total:
        violations.append(f"the fee revenue accounts hold {held}, the fee lines say {charged} - {returned_total}")
    return {"charged": charged, "returned": returned_total}

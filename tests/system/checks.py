"""The bank test's invariants, checked against the database once the clients have stopped.

Every request carried an Idempotency-Key named after its operation, and the server stores one
answer per key in the same commit as the effect; so for each operation the number of effects in
the ledger must equal the number of stored successful answers. A duplicate (a retry that moved
money again) or a lost effect (an answer without its transfer) shows up as a difference.
"""
from __future__ import annotations

from datetime import timedelta

import psycopg

from bench import environment
from tests.system.fees import check_fees

# effect rows per operation, and the stored answers that must match them one for one
EXACTLY_ONCE = {
    "transfer": ("SELECT COUNT(*) FROM transactions WHERE type = 'transfer'",
                 "key LIKE 'transfer-%' AND status_code = 201"),
    "payment": ("SELECT COUNT(*) FROM transactions WHERE type = 'payment'",
                "(key LIKE 'qr_payment-%' AND status_code = 201) OR (key LIKE 'charge-%' AND status_code = 201 "
                "AND body::json->>'transaction_id' IS NOT NULL)"),
    "refund": ("SELECT COUNT(*) FROM transactions WHERE type = 'refund'",
               "key LIKE 'refund-%' AND status_code = 201"),
    "hold": ("SELECT COUNT(*) FROM transactions WHERE type = 'hold'",
             "key LIKE 'authorize-%' AND status_code = 201"),
    "capture": ("SELECT COUNT(*) FROM transfers WHERE kind = 'post_pending'",
                "key LIKE 'capture-%' AND status_code = 200"),
    "void": ("SELECT COUNT(*) FROM transactions WHERE type = 'hold' AND status = 'voided'",
             "key LIKE 'void-%' AND status_code = 200 AND body::json->>'status' = 'voided'"),
}


def _sums(conn, violations: list[str]) -> None:
    for currency, posted, pending in conn.execute(
            "SELECT currency, SUM(credits_posted - debits_posted), SUM(credits_pending - debits_pending) "
            "FROM accounts GROUP BY currency"):
        if posted != 0 or pending != 0:
            violations.append(f"{currency} sums to {posted} posted and {pending} pending, not 0")
    for account_id, in conn.execute("SELECT id FROM accounts WHERE no_overdraft AND "
                                    "debits_posted + debits_pending > credits_posted"):
        violations.append(f"account {account_id} is overdrawn")


def _exactly_once(conn, violations: list[str]) -> None:
    for name, (effects_sql, answered_where) in EXACTLY_ONCE.items():
        effects = conn.execute(effects_sql).fetchone()[0]
        answered = conn.execute(f"SELECT COUNT(*) FROM idempotency_records WHERE {answered_where}").fetchone()[0]
        if effects != answered:
            violations.append(f"{name}: {effects} in the ledger but {answered} successful answers stored")


def _acknowledged_exist(conn, acknowledged: dict, violations: list[str]) -> None:
    """Every id a client was given (transaction, charge, authorization, refund) is really there."""
    ids = {o.body[k] for o in acknowledged.values() if 200 <= o.status < 300
           for k in ("id", "transaction_id") if o.body.get(k)}
    found = {row[0] for row in conn.execute(
        "SELECT id FROM transactions WHERE id = ANY(%(ids)s) UNION SELECT id FROM pos_charges WHERE id = ANY(%(ids)s)",
        {"ids": list(ids)})}
    violations.extend(f"acknowledged {missing} does not exist" for missing in sorted(ids - found))


def _refunds(conn, violations: list[str]) -> None:
    """A sale never gives back more than it took, and its refunded total is the sum of its refunds."""
    for charge_id, amount, refunded, given_back in conn.execute(
            "SELECT c.id, c.captured_amount, c.refunded_amount, COALESCE(SUM(t.amount), 0) FROM pos_charges c "
            "LEFT JOIN transactions t ON t.related_id = c.transaction_id AND t.type = 'refund' "
            "WHERE c.kind = 'charge' GROUP BY c.id, c.captured_amount, c.refunded_amount"):
        if given_back != refunded or given_back > amount:
            violations.append(f"charge {charge_id} of {amount} recorded {refunded} refunded, gave back {given_back}")


def _holds(conn, grace: timedelta, violations: list[str]) -> None:
    """Every hold is captured, voided, expired, or still pending within its expiry (plus the
    sweeper's interval); its authorization says the same as the ledger."""
    for txn_id, status, expires_at, resolved, overdue in conn.execute(
            "SELECT t.id, t.status, p.expires_at, r.kind, p.expires_at < now() - %s FROM transactions t "
            "JOIN transfers p ON p.transaction_id = t.id AND p.kind = 'pending' "
            "LEFT JOIN transfers r ON r.pending_id = p.id WHERE t.type = 'hold'", (grace,)):
        expected = {"authorized": None, "captured": "post_pending", "voided": "void_pending",
                    "expired": "void_pending"}.get(status, "?")
        if resolved != expected:
            violations.append(f"hold {txn_id} is {status} but its pending transfer was resolved by {resolved}")
        elif status == "authorized" and overdue:
            violations.append(f"hold {txn_id} is still pending past its expiry {expires_at}")
    for aut_id, captured, posted in conn.execute(
            "SELECT c.id, c.captured_amount, r.amount FROM pos_charges c "
            "JOIN transfers p ON p.transaction_id = c.transaction_id AND p.kind = 'pending' "
            "JOIN transfers r ON r.pending_id = p.id AND r.kind = 'post_pending' WHERE c.kind = 'authorization'"):
        if captured != posted:
            violations.append(f"authorization {aut_id} says {captured} captured, the ledger posted {posted}")


def check(database_url: str, env: dict, report, *, hold_grace: timedelta) -> None:
    violations = report.violations
    with psycopg.connect(database_url) as conn:
        # One snapshot for every check: the servers and the hold sweeper are still running.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        _sums(conn, violations)
        _exactly_once(conn, violations)
        _acknowledged_exist(conn, report.acknowledged, violations)
        _refunds(conn, violations)
        _holds(conn, hold_grace, violations)
        report.fees = check_fees(conn, violations)  # fee lines sum to what the configuration says
    for key, seen in report.differing_replays:
        violations.append(f"key {key} got different answers: {seen}")
    verify = environment.ledger_verify(env)
    if not verify["ok"]:
        violations.append(f"ledger verify failed: {verify['problems'][:5]}")

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
from tests.system.adjuster import check_adjustments
from tests.system.expiry import check_expired_purses
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


# A transfer out of (or, under 'all', into) a wallet whose time falls while a freeze covered it.
# Exact at both ends: a payment committed before the freeze began before the freeze's created_at
# (the freeze waited for its lock: app.ops.freezes.services), and the posting compares lifted_at
# and ends_at with the transfer's own time. Captures and voids of holds (post_pending,
# void_pending) and approved adjustments are allowed (README, Freezes).
_FROZEN = """
SELECT t.id, t.kind, f.id, f.scope, CASE WHEN a.id = t.debit_account_id THEN 'paid' ELSE 'was paid' END
  FROM transfers t
  JOIN transactions x ON x.id = t.transaction_id AND x.type <> 'adjustment'
  JOIN accounts a ON a.id IN (t.debit_account_id, t.credit_account_id) AND a.kind = 'user'
  JOIN freezes f ON f.user_id = a.user_id AND (f.wallet_id IS NULL OR f.wallet_id = a.id)
 WHERE t.kind IN ('posted', 'pending') AND t.created_at >= f.created_at
   AND (f.lifted_at IS NULL OR t.created_at < f.lifted_at) AND (f.ends_at IS NULL OR t.created_at < f.ends_at)
   AND (a.id = t.debit_account_id OR f.scope = 'all')
"""


def _frozen(conn, violations: list[str]) -> None:
    """A frozen wallet never pays."""
    for transfer_id, kind, freeze_id, scope, what in conn.execute(_FROZEN):
        violations.append(f"transfer {transfer_id} ({kind}): a wallet under freeze {freeze_id} ({scope}) {what}")


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
        _frozen(conn, violations)
        report.fees = check_fees(conn, violations)  # fee lines sum to what the configuration says
        report.adjustments = check_adjustments(conn, violations)  # approved ones posted once, by two people
    for key, seen in report.differing_replays:
        violations.append(f"key {key} got different answers: {seen}")
    verify = environment.ledger_verify(env)
    if not verify["ok"]:
        violations.append(f"ledger verify failed: {verify['problems'][:5]}")


# The outage mode (tests/system/outage.py): what the terminals accepted and the phones signed
# (tests.system.offline_actors.Expected) against the books. Merchants take nothing but offline
# sales in this mode, so a sale paid twice or lost shows in their balances as well as per sale.

def _merchants_paid_once(conn, expected, violations: list[str]) -> None:
    # A merchant's money is its account's and its credit buckets' (sweeps are transactions of their own).
    held = dict(conn.execute("SELECT m.merchant_id, SUM(a.credits_posted - a.debits_posted) FROM accounts m "
                             "JOIN accounts a ON a.id = m.id OR a.parent_id = m.id WHERE m.kind = 'merchant' "
                             "GROUP BY m.merchant_id").fetchall())
    paid = dict(conn.execute("SELECT f.transaction_id, SUM(f.amount) FROM transfers f JOIN accounts a "
                             "ON a.id = f.credit_account_id WHERE f.kind = 'posted' AND (a.kind = 'merchant' OR "
                             "a.parent_id IN (SELECT id FROM accounts WHERE kind = 'merchant')) GROUP BY f.transaction_id"))
    offline = {(t, s): (i, r) for i, t, s, r in conn.execute(
        "SELECT p.id, p.terminal_id, p.seq, r.status FROM offline_payments p "
        "LEFT JOIN offline_reports r ON r.terminal_id = p.terminal_id AND r.seq = p.seq")}
    tokens: dict[tuple, list] = {}
    for purse, counter, terminal, txn in conn.execute(
            "SELECT purse_id, counter, terminal_id, transaction_id FROM purse_tokens"):
        tokens.setdefault((purse, counter, terminal), []).append(txn)
    owed: dict[str, int] = {}
    for sale in expected.sales:
        owed[sale["merchant"]] = owed.get(sale["merchant"], 0) + sale["amount"]
        if sale["case"] == 1:
            txn, report = offline.get(sale["key"], (None, None))
            txns = [txn] if txn else []
            if report != "posted":
                violations.append(f"offline sale {sale['key']} was reported {report}, not posted")
        else:
            txns = tokens.get(sale["key"], [])
        if [paid.get(t) for t in txns] != [sale["amount"]]:
            violations.append(f"sale {sale['key']} of {sale['amount']} at {sale['merchant']} was paid "
                              f"{[paid.get(t) for t in txns]}, not exactly once")
    payments = conn.execute("SELECT COUNT(*) FROM transactions WHERE type = 'payment'").fetchone()[0]
    if payments != len(expected.sales):
        violations.append(f"{payments} payments in the ledger for {len(expected.sales)} sales the terminals accepted")
    for merchant, balance in held.items():
        if balance != owed.get(merchant, 0):
            violations.append(f"merchant {merchant} holds {balance}, its terminals accepted {owed.get(merchant, 0)}")


def _wallets_lose_what_they_signed(conn, expected, balance: int, violations: list[str]) -> None:
    """Lost = the seed's balance plus transfers in, minus transfers out, minus the posted balance
    now (money still held for a purse is not lost). It may not exceed what the phone paid and
    signed; and it is exactly what the terminals accepted, less what the wallet owes as debt."""
    moved: dict[str, int] = {}
    for debit, credit, amount in conn.execute(
            "SELECT f.debit_account_id, f.credit_account_id, f.amount FROM transfers f "
            "JOIN transactions t ON t.id = f.transaction_id WHERE t.type = 'transfer' AND f.kind = 'posted'"):
        moved[debit], moved[credit] = moved.get(debit, 0) - amount, moved.get(credit, 0) + amount
    debts = dict(conn.execute("SELECT wallet_id, SUM(debt) FROM offline_purses GROUP BY wallet_id").fetchall())
    wallet_of = dict(conn.execute("SELECT id, wallet_id FROM offline_purses").fetchall())
    accepted: dict[str, int] = dict(expected.paid)
    for sale in expected.sales:
        if sale["case"] == 3:
            wallet = wallet_of.get(sale["key"][0])
            accepted[wallet] = accepted.get(wallet, 0) + sale["amount"]
    for wallet, now in conn.execute("SELECT id, credits_posted - debits_posted FROM accounts "
                                    "WHERE kind = 'user' AND id = ANY(%s)", (list(set(accepted) | set(moved)),)):
        lost = balance + moved.get(wallet, 0) - now
        signed = expected.paid.get(wallet, 0) + expected.signed.get(wallet, 0)
        if lost > signed:
            violations.append(f"wallet {wallet} lost {lost}, more than the {signed} it paid and signed for")
        if lost != accepted.get(wallet, 0) - (debts.get(wallet) or 0):
            violations.append(f"wallet {wallet} lost {lost}; its accepted sales less its debt are "
                              f"{accepted.get(wallet, 0) - (debts.get(wallet) or 0)}")


def _double_spends(conn, expected, violations: list[str]) -> int:
    """Each cheating purse: frozen for the right reason, the wallet's offline use frozen, every
    token counted, and what the wallet could not pay recorded as its debt; no honest purse frozen."""
    detected = 0
    cheats = {c["purse"]: c for c in expected.cheats}
    for purse, wallet, status, reason, allowance, spent, debt, owed, frozen, overspent in conn.execute(
            "SELECT p.id, p.wallet_id, p.status, p.frozen_reason, p.allowance, p.spent, p.debt, "
            "(SELECT COALESCE(SUM(from_receivable), 0) FROM purse_tokens t WHERE t.purse_id = p.id), "
            "EXISTS (SELECT 1 FROM offline_freezes f WHERE f.wallet_id = p.wallet_id AND f.purse_id = p.id), "
            "EXISTS (SELECT 1 FROM purse_tokens t WHERE t.purse_id = p.id AND t.overspend) FROM offline_purses p"):
        cheat = cheats.get(purse)
        if cheat is None:
            if status == "frozen" or debt or overspent:
                violations.append(f"honest purse {purse} is {status} ({reason}) with debt {debt}")
            continue
        problems = [what for what, wrong in (
            (f"status {status} ({reason}), not frozen for {cheat['kind']}", status != "frozen" or reason != cheat["kind"]),
            ("no offline freeze on its wallet", not frozen), ("no token marked overspend", not overspent),
            (f"spent {spent}, not {2 * allowance}", spent != 2 * allowance),
            (f"debt {debt} but {owed} paid by the receivable", debt != owed),
            (f"debt {debt}, expected {allowance if cheat['drained'] else 0}",
             debt != (allowance if cheat["drained"] else 0))) if wrong]
        violations.extend(f"double spend of purse {purse}: {p}" for p in problems)
        detected += not problems
    if detected != len(cheats):
        violations.append(f"{detected} of {len(cheats)} double spends detected and recorded")
    return detected


def check_outage(database_url: str, env: dict, expected, *, balance: int) -> int:
    """The outage mode's checks; returns the double spends detected. Violations go to `expected`."""
    violations = expected.violations
    with psycopg.connect(database_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        _sums(conn, violations)
        _merchants_paid_once(conn, expected, violations)
        _wallets_lose_what_they_signed(conn, expected, balance, violations)
        detected = _double_spends(conn, expected, violations)
        expected.counts.update(check_expired_purses(conn, expected, violations))  # README's promises, counted
    verify = environment.ledger_verify(env)
    if not verify["ok"]:
        violations.append(f"ledger verify failed: {verify['problems'][:5]}")
    return detected

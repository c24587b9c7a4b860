"""The bank test's finance desk: while the clients pay (and the freezer freezes), two finance
operators correct wallets over HTTP as the console would. One proposes a credit or a debit of a
random user's wallet against suspense or revenue; the other approves it (or, one time in five,
rejects it). A debit the wallet cannot cover is refused 402 and stays pending.

What was posted is read back from the adjustments and transactions tables by the check below,
not from what this thread believes: an answer cut off by a killed worker may or may not have
been applied (a retried approval of a posted adjustment is a 409, not a second posting)."""
from __future__ import annotations

import random
import time

from bench import environment
from tests.system.freezer import ADMIN_PASSWORD, _call

FINANCE = [("bank-finance-a@example.com", "Finance A"), ("bank-finance-b@example.com", "Finance B")]


def sign_in_finance(env: dict, urls: list[str], admin_token: str) -> list[str]:
    """Two users made by the CLI, given the finance role by the bank test's admin over HTTP:
    their access tokens."""
    tokens = []
    for email, name in FINANCE:
        environment.flask(env, "create-admin", "--email", email, "--password", ADMIN_PASSWORD, "--name", name)
        deadline = time.monotonic() + 30
        status, body = _call(urls, "POST", "/api/v1/admin/operators",
                             {"identifier": email, "role": "finance", "reason": "bank test"}, admin_token, deadline)
        if status not in (200, 201):
            raise RuntimeError(f"finance role not granted to {email}: {status} {body}")
        status, body = _call(urls, "POST", "/api/v1/auth/login", {"identifier": email, "password": ADMIN_PASSWORD},
                             None, deadline)
        if status != 200:
            raise RuntimeError(f"{email} could not sign in: {status} {body}")
        tokens.append(body["access_token"])
    return tokens


def run_adjuster(seed: dict, urls: list[str], tokens: list[str], deadline: float, report, lock,
                 rng: random.Random) -> None:
    """One adjustment at a time: proposed by one finance operator, decided by the other."""
    n = 0
    while time.monotonic() < deadline - 2:
        user = rng.choice(seed["users"])
        proposer, decider = tokens[n % 2], tokens[(n + 1) % 2]
        n += 1
        status, body = _call(urls, "POST", "/api/v1/admin/adjustments", {
            "wallet_id": user["wallet"], "direction": rng.choice(["credit", "credit", "debit"]),
            "counter": rng.choice(["suspense", "revenue"]), "amount": rng.randint(1, 500),
            "currency": seed["currency"], "reason": "bank test correction", "reference": f"BANK-{n}"},
            proposer, deadline)
        _count(report, lock, "adjust_propose", status, body, ok=(201,))
        if status == 201:
            approve = rng.random() >= 0.2
            verb = "approve" if approve else "reject"
            status, body = _call(urls, "POST", f"/api/v1/admin/adjustments/{body['id']}/{verb}",
                                 {"note": "bank test"}, decider, deadline + 10)
            # 402: a debit the wallet cannot cover (it stays pending); 409: a retry after a cut-off answer.
            _count(report, lock, f"adjust_{verb}", status, body, ok=(200, 402, 409))
        time.sleep(rng.uniform(0.1, 0.5))


def _count(report, lock, name: str, status, body, *, ok: tuple) -> None:
    with lock:
        report.desk[name] = report.desk.get(name, 0) + 1
        if status is not None and status not in ok:
            report.violations.append(f"{name} refused: {status} {body}")


_ADJUSTMENTS = """
SELECT a.id, a.status, a.amount, a.proposed_by, a.decided_by,
       (SELECT COUNT(*) FROM transactions t WHERE t.type = 'adjustment' AND t.id = a.transaction_id) AS posted,
       (SELECT t.amount FROM transactions t WHERE t.id = a.transaction_id) AS posted_amount
  FROM adjustments a
"""


def check_adjustments(conn, violations: list[str]) -> dict[str, int]:
    """Every approved adjustment is posted exactly once for its amount, nothing else is posted,
    and nobody decided their own proposal. Returns the counts per status."""
    counts: dict[str, int] = {}
    for adj_id, status, amount, proposer, decider, posted, posted_amount in conn.execute(_ADJUSTMENTS):
        counts[status] = counts.get(status, 0) + 1
        if status == "approved" and (posted != 1 or posted_amount != amount):
            violations.append(f"approved adjustment {adj_id} of {amount} posted {posted} time(s) for {posted_amount}")
        if status != "approved" and posted:
            violations.append(f"{status} adjustment {adj_id} was posted")
        if decider is not None and decider == proposer:
            violations.append(f"adjustment {adj_id} decided by its own proposer")
    orphans = conn.execute("SELECT COUNT(*) FROM transactions t WHERE t.type = 'adjustment' AND NOT EXISTS "
                           "(SELECT 1 FROM adjustments a WHERE a.transaction_id = t.id)").fetchone()[0]
    if orphans:
        violations.append(f"{orphans} adjustment transactions with no approved adjustment")
    return counts

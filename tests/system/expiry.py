"""Expired purses in the outage mode (README, "Case 3: the offline purse").

What the README promises for a purse past its `valid_until`: a terminal refuses its tokens
(`expired`, by its own clock or the token's time); the server refuses a token signed after
`valid_until` (`expired`, nothing changes); a token signed while the purse was valid is paid
whenever it comes, exactly once: from the hold until the grace period is over, then ("a late
token ... uploaded after the hold went back") from the wallet, and it is not an overspend; the
hold expires by itself and `flask ledger expire-holds` returns what the tokens did not take.

The API issues purses for whole days (`validity_days` >= 1) and a run lasts seconds, so the
operator (the test holds the issuer key) shortens a few purses as if they had been issued a day
earlier: `valid_until` a third of the way into the run, the grace a few seconds after it (the
purse's `release_after` and its hold's expiry), the certificate signed again. The rest is the
product's: the terminals' checks (terminal/purse.py), the upload, purse_capture, the sweeper.
Terminals sell against these purses through the run, past the expiry; half of what they accept
they keep back (a terminal out of reach until the grace is over) and upload at the end, after
the sweeper's round, beside one token signed after the expiry.
"""
from __future__ import annotations

import base64
import random
import secrets
import time

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import environment
from terminal.purse import CERT_FIELDS, message
from tests.system.offline_actors import CUT, EXPIRING_PURSE, Expected, Phone, Till


def shorten(phones: list[Phone], database_url: str, issuer: tuple[str, bytes], seconds: float,
            expected: Expected) -> None:
    """The purses the phones hold expire a third into a run of `seconds`; their holds go back a
    fifth of it later (at least 2 s), before the run ends."""
    kid, seed = issuer
    valid_until = int(time.time() + seconds / 3)
    release_after = valid_until + max(2, int(seconds / 5))
    key = Ed25519PrivateKey.from_private_bytes(seed)
    with psycopg.connect(database_url) as conn:
        for phone in phones:
            cert = {**phone.certificate, "valid_until": valid_until}
            assert cert["kid"] == kid
            cert["signature"] = base64.urlsafe_b64encode(key.sign(message("WPC1", CERT_FIELDS, cert))).rstrip(b"=").decode()
            hold, = conn.execute(
                "UPDATE offline_purses SET valid_until = to_timestamp(%s), release_after = to_timestamp(%s), "
                "signature = %s WHERE id = %s RETURNING hold_txn_id",
                (valid_until, release_after, cert["signature"], cert["purse_id"])).fetchone()
            conn.execute("UPDATE transfers SET expires_at = to_timestamp(%s) WHERE transaction_id = %s "
                         "AND kind = 'pending'", (release_after, hold))
            phone.certificate = cert
            expected.expiring.append({"purse": cert["purse_id"], "wallet": phone.user["wallet"],
                                      "valid_until": valid_until, "first_hold": hold})


def sell(till: Till, phone: Phone, rng: random.Random, expected: Expected) -> None:
    """A token of an expiring purse; once it has expired the terminal must refuse it."""
    with phone.lock:
        amount = rng.randint(100, EXPIRING_PURSE[1])
        if amount > phone.left:
            return
        late = rng.random() < 0.5
        token = till.accept_token(phone, amount, late=late)
        expected.spend("signed", phone.user["wallet"], amount)
        valid_until = phone.certificate["valid_until"]
        if token is None:
            expected.add("expired tokens refused by a terminal" if till.refused == "expired"
                         else "tokens refused by a terminal")
            return
        if token["time"] > valid_until:
            expected.violations.append(f"{till.id} accepted {token} of a purse valid until {valid_until}")
        phone.left -= amount
    expected.sold(3, till, amount, (token["purse_id"], token["counter"], till.id))
    expected.add("tokens kept back past the grace" if late else "tokens of expiring purses")


def upload_late(tills: list[Till], phones: list[Phone], env: dict, expected: Expected) -> None:
    """After the run: the sweeper's round, then what the terminals kept back, each batch with a
    token signed after its purse expired (which must be refused `expired`)."""
    environment.flask(env, "ledger", "expire-holds")
    # Each expiring purse offered once more at a terminal, now that it has expired: whether the
    # run's own sales tried one after its expiry is chance (a purse may be spent before it).
    for n, phone in enumerate(p for p in phones if p.certificate["purse_id"] in {e["purse"] for e in expected.expiring}):
        till = tills[n % len(tills)]
        with phone.lock:
            token = till.accept_token(phone, 100)
        if token is not None:
            expected.violations.append(f"{till.id} accepted {token} after its purse expired")
        elif till.refused == "expired":
            expected.add("expired tokens refused by a terminal")
        else:
            expected.violations.append(f"{till.id} refused an expired purse's token as {till.refused}, not expired")
    for n, till in enumerate(tills):
        phone = phones[n % len(phones)]
        with phone.lock:
            nonce = secrets.token_hex(8)
            expired = phone.sign(till.id, nonce, 100, till.currency)
        if expired["time"] <= phone.certificate["valid_until"]:
            expected.violations.append(f"the run ended before {phone.certificate['purse_id']} expired")
        kept = till.late.records()
        batch = kept + [{"kind": "purse", "certificate": phone.certificate, "token": expired}]
        for attempt in range(10):  # the faults have stopped, a respawned worker may still be starting
            try:
                answer = till.client.upload(batch)
                break
            except CUT:
                till.fail_over()
                time.sleep(0.5 + attempt)
        else:
            expected.violations.append(f"{till.id} could not upload what it kept back")
            continue
        found = {r["index"]: (r["status"], r["reason"]) for r in answer["results"]}
        for index in range(len(kept)):
            if found.get(index, ("?",))[0] not in ("posted", "duplicate"):
                expected.violations.append(f"{till.id}'s late token {kept[index]['token']} was answered {found.get(index)}")
        if found.get(len(kept)) != ("refused", "expired"):
            expected.violations.append(f"a token signed after its purse expired was answered {found.get(len(kept))}")
        else:
            expected.add("expired tokens refused by the server")
        till.late.remove({(r["token"]["purse_id"], r["token"]["counter"]) for r in kept})
        expected.add("late uploads after the grace", bool(kept))


def check_expired_purses(conn, expected: Expected, violations: list[str]) -> dict[str, int]:
    """Each token of an expired purse: from the hold if it came before the hold's expiry, else all
    from the wallet (these wallets have money), never an overspend; and each purse's holds all
    resolved, what the tokens did not take returned by expiry. Returns counts for the summary."""
    counts = {"paid from the hold": 0, "paid late from the wallet": 0}
    for purse in expected.expiring:
        allowance, release_after, valid_until = conn.execute(
            "SELECT allowance, release_after, extract(epoch FROM valid_until)::bigint FROM offline_purses "
            "WHERE id = %s", (purse["purse"],)).fetchone()
        if valid_until != purse["valid_until"]:
            violations.append(f"expired purse {purse['purse']} says valid until {valid_until}")
        taken = 0
        for counter, amount, from_hold, from_wallet, owed, overspend, received in conn.execute(
                "SELECT counter, amount, from_hold, from_wallet, from_receivable, overspend, received_at "
                "FROM purse_tokens WHERE purse_id = %s", (purse["purse"],)):
            late = received >= release_after
            if overspend or owed or (from_hold, from_wallet) != ((0, amount) if late else (amount, 0)):
                violations.append(f"token #{counter} of expired purse {purse['purse']} received "
                                  f"{'after' if late else 'before'} its hold's expiry: {amount} paid {from_hold} "
                                  f"from the hold, {from_wallet} from the wallet, {owed} owed, overspend {overspend}")
            counts["paid late from the wallet" if late else "paid from the hold"] += 1
            taken += from_hold
        holds = conn.execute(
            "SELECT t.status, r.kind, COALESCE(r.amount, 0) FROM transactions t "
            "JOIN transfers p ON p.transaction_id = t.id AND p.kind = 'pending' "
            "LEFT JOIN transfers r ON r.pending_id = p.id "
            "WHERE t.id = %s OR (t.type = 'hold' AND t.reference = %s)",
            (purse["first_hold"], f"purse {purse['purse']}")).fetchall()
        returned = sum(amount for status, kind, amount in holds if kind == "void_pending" and status == "expired")
        if any(kind is None for _, kind, _ in holds) or returned != allowance - taken:
            violations.append(f"expired purse {purse['purse']}: holds {holds}; {allowance} held, {taken} captured, "
                              f"{returned} returned by expiry")
    return counts


def summary(expected: Expected) -> str:
    n = expected.counts
    return (f"{len(expected.expiring)} purses expired ({n.get('expired tokens refused by a terminal', 0)} tokens "
            f"refused by terminals, {n.get('expired tokens refused by the server', 0)} by the server; "
            f"{n.get('paid from the hold', 0)} paid from the hold, {n.get('paid late from the wallet', 0)} late "
            f"from the wallet)")

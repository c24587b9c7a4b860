"""The bank test's outage mode: terminals lose their network at random moments and keep selling.

The bank test's two production servers, private Redis and fault injector (SIGKILLed workers, a
Redis restart). Every till and vending machine runs the reference terminal (terminal/) on a
thread of its own, queues on disk: it reads /pos/config, drops offline for a second or two, sells
through case 1 (its code paid by an online phone, sometimes twice: refused; the confirmation
checked offline, sometimes after a wrong guess) and case 3 (purse tokens, nobody online), and
comes back: uploads, sometimes twice, late, the newer half first and shuffled, with a forged sale
or an altered token slipped in, or cut off by a fault (all stays on disk for the next time). A few
phones cheat with an extracted key: each spends its whole allowance at two offline terminals
(reusing its counters, or not); half emptied their wallet first. A few purses expire during the
run, their late tokens uploaded after the hold went back (tests/system/expiry.py). Then
checks.check_outage holds the books to what the terminals accepted and the phones signed.

    python -m tests.system.bank --outage --seconds 60
"""
from __future__ import annotations

import base64
import random
import secrets
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import environment
from bench.servers import Server
from terminal.device import SaleRefused
from tests.system import expiry
from tests.system.checks import check_outage
from tests.system.offline_actors import BALANCE, CUT, HONEST_PURSE, Cheat, Expected, Phone, Till, cast, double_spend

DEFAULT_BASE = "postgresql://postgres@127.0.0.1:5432"


def _sell_online_phone(till: Till, phone: Phone, rng: random.Random, expected: Expected) -> None:
    """Case 1: the terminal's own code, paid by the phone, confirmed with no network."""
    amount = rng.randint(100, 2_000)
    try:
        code, check = till.device.start_sale(amount)
    except SaleRefused:
        return expected.add("stopped by a limit")
    pay = {"payload": code.payload, "wallet_id": phone.user["wallet"]}
    outcome = phone.call("POST", "/api/v1/qr/payments", pay, "offline_pay", rng)
    if outcome is None or outcome.status != 201:
        return expected.add("not paid")  # the code stays unpaid: a gap in the sequence, no sale
    expected.spend("paid", phone.user["wallet"], amount)
    if rng.random() < 0.1:  # the customer taps "pay" again, with a new key
        again = phone.call("POST", "/api/v1/qr/payments", pay, "offline_pay", rng)
        if again is None or again.status != 409 or again.body["error"]["code"] != "qr_already_paid":
            expected.violations.append(f"a second payment of {till.id} #{code.seq} got {again}")
        expected.add("second payments refused")
    if rng.random() < 0.1 and till.device.confirm(check, "0000000000"):
        expected.violations.append(f"{till.id} took a guessed confirmation")
    given = outcome.body["offline"]
    if not till.device.confirm(check, given["confirmation_code" if rng.random() < 0.5 else "confirmation_payload"]):
        expected.violations.append(f"{till.id} refused the server's confirmation of #{code.seq}")
        return
    expected.sold(1, till, amount, (till.id, code.seq))


def _sell_offline_phone(till: Till, phone: Phone, rng: random.Random, expected: Expected) -> None:
    """Case 3: an honest phone's token; when its purse runs low it takes a new one online (and
    sometimes closes the old: its tokens already at terminals are still paid)."""
    with phone.lock:
        amount = rng.randint(100, HONEST_PURSE[1])
        if amount > phone.left:
            if rng.random() < 0.5:
                path = f"/api/v1/wallets/{phone.user['wallet']}/offline-purses/{phone.certificate['purse_id']}/close"
                phone.call("POST", path, None, "close", rng)
            try:
                phone.take_purse(*HONEST_PURSE, rng)
            except RuntimeError:  # refused (only if the server froze an honest purse: a violation below)
                return expected.add("purses refused")
        token = till.accept_token(phone, amount)
        expected.spend("signed", phone.user["wallet"], amount)
        if token is None:
            return expected.add("tokens refused by a terminal")
        phone.left -= amount
    expected.sold(3, till, amount, (token["purse_id"], token["counter"], till.id))


def _tally(answer: dict, expected: Expected, *, resent: bool) -> None:
    for result in answer["results"]:
        expected.add({"posted": "posted", "duplicate": "duplicates dropped"}.get(result["status"], "refused"))
        if resent and result["status"] == "posted":  # the same record again must never post again
            expected.violations.append(f"a resent record was posted again: {result}")


def _tampered(batch: list[dict], answer: dict, index: int, reason: str, till: Till, expected: Expected) -> None:
    found = [(r["status"], r["reason"]) for r in answer["results"] if r["index"] == index]
    if found != [("refused", reason)]:
        expected.violations.append(f"{till.id}'s altered record {batch[index]} was answered {found}, not {reason}")
    expected.add("tampered records refused")


def _upload(till: Till, rng: random.Random, expected: Expected) -> None:
    """Back online: terminal/'s reconnect for the sales queue, the purse queue after it."""
    records = till.device.queue.records()
    if len(records) > 1 and rng.random() < 0.25:  # the newer sales first, shuffled; then all of them
        newer = records[rng.randrange(1, len(records)):]
        rng.shuffle(newer)
        _tally(till.client.upload(newer), expected, resent=False)
        expected.add("uploads")
        expected.add("out of order uploads")
    forged = None
    if records and rng.random() < 0.1:  # someone with the disk adds a sale for a code nobody paid
        forged = {**records[-1], "seq": till.device.counter.take(), "confirmation": f"{rng.randrange(10**10):010d}"}
        till.device.queue.append(forged)
    sent = till.device.queue.records()
    if sent:
        answer = till.device.reconnect()
        expected.add("uploads")
        _tally(answer, expected, resent=False)
        if forged is not None:
            _tampered(sent, answer, len(sent) - 1, "not_issued", till, expected)
    extra, purses = [], till.purses.records()
    if purses and rng.random() < 0.1:  # an altered token: a bigger amount, the phone's signature kept
        extra = [{**purses[0], "token": {**purses[0]["token"], "amount": purses[0]["token"]["amount"] + 1}}]
    batch, answer = till.upload_purses(extra)
    if batch:
        expected.add("uploads")
        _tally(answer, expected, resent=False)
        if extra:
            _tampered(batch, answer, len(batch) - 1, "tampered", till, expected)
    if rng.random() < 0.25:  # the answers were lost: everything again
        for again in (sent, batch):
            if again:
                _tally(till.client.upload(again), expected, resent=True)
                expected.add("uploads")
                expected.add("batches sent twice")
    till.sync()


def _back_online(till: Till, rng: random.Random, expected: Expected, *, tries: int = 1) -> None:
    """Upload and read the settings. A cut connection (or a 5xx: client.py raises ConnectionError)
    leaves everything on disk for the next time, as a real terminal's would; what the server
    committed before the cut comes back `duplicate` then."""
    for attempt in range(tries):
        try:
            _upload(till, rng, expected)
            return
        except CUT:
            expected.add("uploads cut off")
            till.fail_over()
            time.sleep(0.5 + attempt)


def _terminal(till: Till, honest: list[Phone], cheats: list[Cheat], deadline: float, rng: random.Random,
              expected: Expected, expiring: list[Phone]) -> None:
    try:
        _terminal_loop(till, honest, cheats, deadline, rng, expected, expiring)
    except Exception as exc:  # a terminal that stops: its unsent sales would only show as "lost"
        expected.violations.append(f"terminal {till.id} stopped: {exc!r}")


def _terminal_loop(till: Till, honest: list[Phone], cheats: list[Cheat], deadline: float, rng: random.Random,
                   expected: Expected, expiring: list[Phone]) -> None:
    mine = [c for c in cheats if till.id in c.tills]
    till.try_sync(tries=30)
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.1, 0.6))  # online for a moment
        till.device.go_offline()
        back = min(deadline, time.monotonic() + rng.uniform(0.8, 2.5))
        while time.monotonic() < back:
            pending = [c for c in mine if till.id not in c.done]
            if pending and rng.random() < 0.2:
                double_spend(till, pending[0], expected)
            elif expiring and rng.random() < 0.15:
                expiry.sell(till, rng.choice(expiring), rng, expected)
            elif rng.random() < 0.6:
                _sell_online_phone(till, rng.choice(honest), rng, expected)
            else:
                _sell_offline_phone(till, rng.choice(honest), rng, expected)
            time.sleep(rng.uniform(0.02, 0.15))
        expected.add("outages")
        if rng.random() < 0.15 and len(till.device.queue.records()) < 60:
            expected.add("late uploads")  # silent this time: it uploads after a later outage
            continue
        _back_online(till, rng, expected)
    pending = [c for c in mine if till.id not in c.done]
    if pending:  # the run ends: a cheat this terminal has not seen yet happens now
        till.device.go_offline()
        for cheat in pending:
            double_spend(till, cheat, expected)
    _back_online(till, rng, expected, tries=10)  # the faults have stopped: it gets through
    if till.device.queue.records() or till.purses.records():
        expected.violations.append(f"{till.id} kept records the server did not answer")


def run(*, seconds: float, users: int = 20, merchants: int = 3, cheaters: int = 4, expiring: int = 2,
        base_url: str = DEFAULT_BASE, rng_seed: int = 13, fault_interval: float | None = 3.0) -> tuple[Expected, str]:
    """Returns what the clients saw (with the violations) and the one-line summary."""
    from tests.system.bank import _seed  # the bank test's, shared
    from tests.system.faults import PrivateRedis, inject_faults

    own = urlsplit(base_url).path.lstrip("/")
    database_url = environment.recreate_database(base_url, f"{own}_outage" if own else "wallet_outage")
    redis, servers, expected, rng = PrivateRedis(), [], Expected(), random.Random(rng_seed)
    workdir = Path(tempfile.mkdtemp(prefix="outage-"))
    redis.start()
    try:
        env = environment.app_env(database_url, redis.url, token_ttl=3600)
        issuer = (f"out{secrets.token_hex(3)}", secrets.token_bytes(32))  # expiry.shorten signs with it too
        issuer_seed = base64.urlsafe_b64encode(issuer[1]).rstrip(b"=").decode()
        # Purses need an issuer key in production; the cheats empty their wallets with one transfer.
        env.update({"PURSE_ISSUER_KEYS": f"{issuer[0]}:{issuer_seed}", "NO_PIN_AMOUNT": str(10 ** 9)})
        environment.migrate(env)
        environment.lift_limits(database_url)
        seed = _seed(env, users, merchants, workdir)
        for i in range(2):
            servers.append(Server(env, workers=2, threads=4, log_path=workdir / f"server{i}.log"))
            servers[-1].start()
        honest, tills, cheats, short = cast(seed, [s.url for s in servers], workdir, rng, cheaters, expiring)
        expected.cheats = [{"purse": c.phone.certificate["purse_id"], "kind": c.kind, "drained": c.drained} for c in cheats]
        expiry.shorten(short, database_url, issuer, seconds, expected)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_terminal, args=(till, honest, cheats, deadline, random.Random(
            rng.getrandbits(32)), expected, short)) for till in tills]
        if fault_interval:  # SIGKILLs server workers, restarts Redis once (the bank test's injector)
            threads.append(threading.Thread(target=inject_faults, args=(servers, redis, deadline, expected,
                                                                        random.Random(7), fault_interval)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if short:
            expiry.upload_late(tills, short, env, expected)
        detected = check_outage(database_url, env, expected, balance=BALANCE)
    finally:
        for server in servers:
            server.stop()
        redis.kill()
    return expected, summary(expected, detected)


def summary(expected: Expected, detected: int) -> str:
    n = expected.counts
    case1 = sum(1 for s in expected.sales if s["case"] == 1)
    return (f"outage test: {len(expected.sales)} sales offline ({case1} terminal offline, "
            f"{len(expected.sales) - case1} both offline) in {n.get('outages', 0)} outages, {len(expected.faults)} faults, "
            f"{n.get('uploads', 0)} uploads ({n.get('batches sent twice', 0)} sent twice, "
            f"{n.get('late uploads', 0)} late, {n.get('out of order uploads', 0)} out of order, "
            f"{n.get('uploads cut off', 0)} cut off), "
            f"{n.get('duplicates dropped', 0)} duplicates dropped, {n.get('tampered records refused', 0)} tampered records refused, "
            f"{n.get('second payments refused', 0)} second payments refused, "
            f"{expiry.summary(expected)}, "
            f"{detected} double spends detected, violations: {len(expected.violations)}")

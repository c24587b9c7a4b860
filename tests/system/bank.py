"""The bank test, in the manner of Jepsen's bank workload.

Two gunicorn instances share one PostgreSQL database and one (private) Redis, with the hold
sweeper (`flask ledger expire-holds --every`) beside them. Dozens of client threads act as
phones and shop terminals: transfers, QR payments, charges of payment codes, refunds (sometimes
two cashiers refunding one sale in full at once), vending holds, captures and voids (sometimes
a capture crossing a void). Some requests are cut off before their answer arrives and retried
with the same Idempotency-Key on the other instance. Meanwhile a fault injector SIGKILLs
server workers at random moments (resting each server until it has recovered, see
tests/system/faults.py) and restarts Redis once, and an operator freezes and unfreezes
wallets and whole users (tests/system/freezer.py). At the end the books are checked
(tests/system/checks.py): every currency sums to zero, no wallet is overdrawn, every effect has
exactly one stored answer and every acknowledged id exists, every retry got its first answer,
no sale refunded more than it took, every hold is captured, voided, expired or pending within
its expiry, a frozen wallet never pays (nor, frozen 'all', is paid), and `flask ledger verify` passes.

    python -m tests.system.bank --seconds 300 --clients 32     # the long form
    python -m tests.system.bank --outage --seconds 60         # terminals offline (tests/system/outage.py)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench import environment
from bench.servers import Server
from tests.system import fees
from tests.system.checks import check
from tests.system.client import Outcome, call_with_retries
from tests.system.faults import PrivateRedis, inject_faults
from tests.system.adjuster import run_adjuster, sign_in_finance
from tests.system.freezer import run_freezer, sign_in_operator
from tests.system.operations import Call, World, plan, run_together
from tests.system.world import CodeBook, Memory, register_devices, tills_of

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Report:
    operations: dict[str, int] = field(default_factory=dict)
    acknowledged: dict[str, Outcome] = field(default_factory=dict)  # idempotency key -> final answer
    differing_replays: list[tuple] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    fees: dict[str, int] = field(default_factory=dict)  # fee lines charged and returned (tests/system/fees.py)
    adjustments: dict[str, int] = field(default_factory=dict)  # per status, read back (tests/system/adjuster.py)
    desk: dict[str, int] = field(default_factory=dict)  # the operators' calls (freezer.py, adjuster.py)

    def line(self) -> str:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(self.operations.items()))
        refused = sum(1 for o in self.acknowledged.values() if o.status >= 400)
        unanswered = sum(self.operations.values()) - len(self.acknowledged)
        desk = ", ".join(f"{k} {v}" for k, v in sorted(self.desk.items()))
        return (f"bank test: {sum(self.operations.values())} operations ({ops}; {refused} refused with a 4xx, "
                f"{unanswered} unanswered); operators: {desk}; fees {self.fees.get('charged', 0)} charged, "
                f"{self.fees.get('returned', 0)} returned; adjustments {self.adjustments.get('approved', 0)} posted, "
                f"{self.adjustments.get('pending', 0)} pending, {self.adjustments.get('rejected', 0)} rejected; "
                f"{len(self.faults)} faults injected; "
                f"{len(self.violations)} violations")


def _seed(env: dict, users: int, merchants: int, workdir: Path) -> dict:
    out = workdir / "seed.json"
    result = subprocess.run([sys.executable, "-m", "bench.seed", "--users", str(users), "--merchants", str(merchants),
                             "--balance", "200000", "--vending", "--out", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"bench.seed failed:\n{result.stderr[-3000:]}")
    return json.loads(out.read_text())


def _client_loop(world: World, urls: list[str], deadline: float, report: Report, lock: threading.Lock,
                 seq: int) -> None:
    rng = random.Random(seq)

    def send(call: Call) -> None:
        key = f"{call.name}-{seq}-{rng.getrandbits(64):x}"
        cut_first = rng.random() < 0.2  # as if the phone or till lost its connection mid-request
        outcome = call_with_retries(urls, call.method, call.path, call.body, headers_for=call.headers_for, key=key,
                                    cut_first=cut_first, rng=random.Random(key))
        with lock:
            report.operations[call.name] = report.operations.get(call.name, 0) + 1
            if outcome is None:
                return  # never answered before the run ended: may or may not have happened
            report.acknowledged[key] = outcome
            if len(set(outcome.seen)) > 1:
                report.differing_replays.append((key, outcome.seen))
        if call.on_answer is not None:
            call.on_answer(outcome)

    while time.monotonic() < deadline:
        run_together(plan(world, rng), send)


HOLD_EXPIRES_IN, SWEEP_EVERY = 10, 1.0  # short, so that holds expire and are swept during the run


def _world_env(database_url: str, redis_url: str) -> dict:
    env = environment.app_env(database_url, redis_url, token_ttl=3600)
    # Codes rotate every 10 s so a few devices per customer give enough of them; the refused-code
    # lock-out is out of the way (a Redis restart or a slow retry must not lock a till out).
    env.update({"HOLD_EXPIRES_IN": str(HOLD_EXPIRES_IN), "PAYMENT_CODE_PERIOD": "10",
                "PAYMENT_CODE_MAX_FAILURES": "100000"})
    return env


def _start_sweeper(env: dict, workdir: Path) -> subprocess.Popen:
    """`flask ledger expire-holds --every`, as production runs it next to the servers."""
    log = open(workdir / "sweeper.log", "ab")
    process = subprocess.Popen([str(environment.FLASK), "ledger", "expire-holds", "--every", str(SWEEP_EVERY)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def run(*, seconds: float, clients: int, users: int = 20, merchants: int = 3, fault_interval: float = 3.0,
        devices_per_user: int = 5, base_url: str = "postgresql://postgres@127.0.0.1:5432") -> Report:
    report, lock = Report(), threading.Lock()
    # Named after the suite's database, so two checkouts running the bank test on one server
    # (CI's wallet_ci, a developer's wallet_main) do not drop each other's database.
    own = urlsplit(base_url).path.lstrip("/")
    database_url = environment.recreate_database(base_url, f"{own}_bank" if own else "wallet_bank")
    redis = PrivateRedis()
    redis.start()
    servers: list[Server] = []
    sweeper = None
    workdir = Path(tempfile.mkdtemp(prefix="bank-"))
    try:
        env = _world_env(database_url, redis.url)
        environment.migrate(env)
        environment.lift_limits(database_url)  # it tests the ledger under faults, not the tiers
        seed = _seed(env, users, merchants, workdir)
        fees.configure(database_url, [m["id"] for m in seed["merchants"]])  # checked by tests/system/fees.py
        for i in range(2):
            server = Server(env, workers=2, threads=4, log_path=workdir / f"gunicorn{i}.log")
            server.start()
            servers.append(server)
        urls = [s.url for s in servers]
        world = World(seed, tills_of(seed), CodeBook(register_devices(seed, urls, devices_per_user)), Memory())
        operator = sign_in_operator(env, urls)
        finance = sign_in_finance(env, urls, operator)
        sweeper = _start_sweeper(env, workdir)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client_loop, args=(world, urls, deadline, report, lock, n))
                   for n in range(clients)]
        faults = threading.Thread(target=inject_faults,
                                  args=(servers, redis, deadline, report, random.Random(7), fault_interval))
        freezer = threading.Thread(target=run_freezer,
                                   args=(seed, urls, operator, deadline, report, lock, random.Random(11)))
        adjuster = threading.Thread(target=run_adjuster,
                                    args=(seed, urls, finance, deadline, report, lock, random.Random(13)))
        for thread in [*threads, faults, freezer, adjuster]:
            thread.start()
        for thread in [*threads, faults, freezer, adjuster]:
            thread.join()
        check(database_url, env, report, hold_grace=timedelta(seconds=2 * SWEEP_EVERY + 3))
    finally:
        if sweeper is not None:
            sweeper.terminate()
            sweeper.wait(10)
        for server in servers:
            server.stop()
        redis.kill()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.system.bank")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--outage", action="store_true",
                        help="the outage mode instead: terminals sell offline and upload (tests/system/outage.py)")
    args = parser.parse_args(argv)
    if args.outage:
        from tests.system import outage

        expected, line = outage.run(seconds=args.seconds, users=min(args.users, 30),
                                    base_url=os.environ.get("TEST_DATABASE_URL", outage.DEFAULT_BASE))
        print("\n".join(f"VIOLATION {v}" for v in expected.violations))
        print(line)
        return 1 if expected.violations else 0
    report = run(seconds=args.seconds, clients=args.clients, users=args.users)
    print("\n".join(report.faults))
    print("\n".join(f"VIOLATION {v}" for v in report.violations))
    print(report.line())
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The bank test, in the manner of Jepsen's bank workload.

Two gunicorn instances share one PostgreSQL database and one (private) Redis. Dozens of client
threads move money at random through the HTTP API; some requests are cut off before their
answer arrives and retried with the same Idempotency-Key on the other instance. Meanwhile a
fault injector SIGKILLs gunicorn workers at random moments and restarts Redis once. At the end
the books are checked: every currency sums to zero, no wallet is negative, every acknowledged
operation exists exactly once, every retry got its first answer, and `flask ledger verify` passes.

    python -m tests.system.bank --seconds 300 --clients 32     # the long form
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench import environment
from bench.servers import Server, free_port
from tests.system.client import Outcome, call_with_retries

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Report:
    operations: dict[str, int] = field(default_factory=dict)
    acknowledged: dict[str, Outcome] = field(default_factory=dict)  # idempotency key -> final answer
    differing_replays: list[tuple] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def line(self) -> str:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(self.operations.items()))
        return (f"bank test: {sum(self.operations.values())} operations ({ops}); "
                f"{len(self.faults)} faults injected; {len(self.violations)} violations")


class PrivateRedis:
    """A Redis of our own, so that restarting it disturbs nobody else on the machine."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def _seed(env: dict, users: int, merchants: int, workdir: Path) -> dict:
    out = workdir / "seed.json"
    subprocess.run([sys.executable, "-m", "bench.seed", "--users", str(users), "--merchants", str(merchants),
                    "--balance", "200000", "--out", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
    return json.loads(out.read_text())


def _operation(rng: random.Random, seed: dict) -> tuple[str, str, str, dict, dict]:
    """(name, method, path, body, user) of one random operation."""
    user = rng.choice(seed["users"])
    if rng.random() < 0.5:
        other = rng.choice([u for u in seed["users"] if u is not user])
        return "transfer", "POST", "/api/v1/transfers", {"to": other["wallet"], "amount": rng.randint(1, 5000),
                                                           "currency": seed["currency"]}, user
    merchant = rng.choice(seed["merchants"])
    return "qr_payment", "POST", "/api/v1/qr/payments", {"payload": merchant["payload"], "wallet_id": user["wallet"],
                                                          "amount": rng.randint(1, 5000)}, user


def _client_loop(seed: dict, servers: list[Server], deadline: float, report: Report, lock: threading.Lock,
                 seq: int) -> None:
    rng = random.Random(seq)
    while time.monotonic() < deadline:
        name, method, path, body, user = _operation(rng, seed)
        key = f"bank-{seq}-{rng.getrandbits(64):x}"
        cut_first = rng.random() < 0.2  # as if the phone lost its connection mid-request
        outcome = call_with_retries([s.url for s in servers], method, path, body, token=user["token"], key=key,
                                    cut_first=cut_first, rng=rng)
        with lock:
            report.operations[name] = report.operations.get(name, 0) + 1
            if outcome is None:
                continue  # never answered before the run ended: may or may not have happened
            report.acknowledged[key] = outcome
            if len(set(outcome.seen)) > 1:
                report.differing_replays.append((key, outcome.seen))


def _inject_faults(servers: list[Server], redis: PrivateRedis, deadline: float, report: Report, rng: random.Random,
                   interval: float) -> None:
    redis_restarted = False
    start = time.monotonic()
    while time.monotonic() < deadline - interval:
        time.sleep(rng.uniform(interval / 2, interval * 1.5))
        if not redis_restarted and time.monotonic() - start > (deadline - start) / 2:
            redis.kill()
            time.sleep(0.5)
            redis.start()
            report.faults.append("restarted redis")
            redis_restarted = True
            continue
        server = rng.choice(servers)
        workers = server.worker_pids()
        if workers:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                report.faults.append(f"SIGKILL worker {victim} of :{server.port}")
            except ProcessLookupError:
                pass


def _check(database_url: str, env: dict, report: Report) -> None:
    with psycopg.connect(database_url) as conn:
        for currency, total in conn.execute(
                "SELECT currency, SUM(credits_posted - debits_posted) FROM accounts GROUP BY currency"):
            if total != 0:
                report.violations.append(f"{currency} sums to {total}, not 0")
        for account_id, in conn.execute("SELECT id FROM accounts WHERE no_overdraft AND "
                                        "debits_posted + debits_pending > credits_posted"):
            report.violations.append(f"account {account_id} is overdrawn")
        acknowledged_ids = [o.body.get("id") for o in report.acknowledged.values() if o.status == 201]
        found = dict(conn.execute("SELECT id, COUNT(*) FROM transactions WHERE id = ANY(%s) GROUP BY id",
                                  (acknowledged_ids,)).fetchall())
        for txn_id in acknowledged_ids:
            if found.get(txn_id) != 1:
                report.violations.append(f"acknowledged {txn_id} exists {found.get(txn_id, 0)} times")
        moved = conn.execute("SELECT COUNT(*) FROM transactions WHERE type IN ('transfer', 'payment')").fetchone()[0]
        keyed = conn.execute("SELECT COUNT(*) FROM idempotency_records WHERE status_code = 201").fetchone()[0]
        if moved != keyed:  # every request carried a key: each effect must have exactly one
            report.violations.append(f"{moved} money movements but {keyed} idempotency keys answered 201")
    for key, seen in report.differing_replays:
        report.violations.append(f"key {key} got different answers: {seen}")
    verify = environment.ledger_verify(env)
    if not verify["ok"]:
        report.violations.append(f"ledger verify failed: {verify['problems'][:5]}")


def run(*, seconds: float, clients: int, users: int = 20, merchants: int = 3, fault_interval: float = 3.0,
        base_url: str = "postgresql://postgres@127.0.0.1:5432") -> Report:
    report, lock = Report(), threading.Lock()
    database_url = environment.recreate_database(base_url, "wallet_bank")
    redis = PrivateRedis()
    redis.start()
    servers: list[Server] = []
    workdir = Path(tempfile.mkdtemp(prefix="bank-"))
    try:
        env = environment.app_env(database_url, redis.url, token_ttl=3600)
        environment.migrate(env)
        seed = _seed(env, users, merchants, workdir)
        for i in range(2):
            server = Server(env, workers=2, threads=4, log_path=workdir / f"gunicorn{i}.log")
            server.start()
            servers.append(server)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client_loop, args=(seed, servers, deadline, report, lock, n))
                   for n in range(clients)]
        faults = threading.Thread(target=_inject_faults,
                                  args=(servers, redis, deadline, report, random.Random(7), fault_interval))
        for thread in [*threads, faults]:
            thread.start()
        for thread in [*threads, faults]:
            thread.join()
        _check(database_url, env, report)
    finally:
        for server in servers:
            server.stop()
        redis.kill()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.system.bank")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args(argv)
    report = run(seconds=args.seconds, clients=args.clients, users=args.users)
    print("\n".join(report.faults))
    print("\n".join(f"VIOLATION {v}" for v in report.violations))
    print(report.line())
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""The yardstick: pgbench's TPC-B-like transaction on the same PostgreSQL server, same clients.

One TPC-B transaction (three UPDATEs, a SELECT, an INSERT) is about what one payment's database
work would be if it were a single transaction with no application in front of it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.environment import recreate_database


def _connection_args(base: str) -> list[str]:
    parts = urlsplit(base)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    return args + (["-U", parts.username] if parts.username else [])


def available() -> bool:
    return shutil.which("pgbench") is not None


def initialise(base: str, database: str, *, scale: int) -> None:
    recreate_database(base, database)
    result = subprocess.run(["pgbench", *_connection_args(base), "-i", "-q", "-s", str(scale), database],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench -i failed:\n{result.stdout}{result.stderr}")


def run(base: str, database: str, *, clients: int, seconds: int, sample=None) -> dict:
    """Run pgbench; with `sample` (a callable), also take two samples inside the run, after the
    clients have connected and before they disconnect: pgbench's backends exit at the end, so
    snapshots taken around the whole run would miss their CPU time. Returns them as "window"."""
    jobs = max(1, min(2, clients))
    command = ["pgbench", *_connection_args(base), "-c", str(clients), "-j", str(jobs), "-T", str(seconds),
               "-b", "tpcb-like", "-n", database]
    return _run(command, seconds, sample)


def _run(command: list[str], seconds: int, sample) -> dict:
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    window = None
    try:
        if sample is not None and seconds >= 2:
            time.sleep(min(1.0, seconds * 0.2))
            first = sample()
            time.sleep(max(0.1, started + seconds - 0.5 - time.monotonic()))
            window = (first, sample())
        stdout, stderr = process.communicate(timeout=seconds + 120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{stdout}{stderr}")
    return {"command": " ".join(command), **parse(stdout), "window": window}


def parse(stdout: str) -> dict:
    tps = re.search(r"tps = ([\d.]+) \((?:without|excluding) initial connection", stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", stdout)
    failed = re.search(r"number of failed transactions: (\d+)", stdout)
    if tps is None:
        raise RuntimeError(f"no TPS in pgbench output:\n{stdout}")
    return {"tps": float(tps.group(1)), "latency_avg_ms": float(latency.group(1)) if latency else None,
            "transactions": int(done.group(1)) if done else None,
            "failed": int(failed.group(1)) if failed else 0}


# The database's own limit for our posting: pgbench calls wallet_transfer (the function a p2p
# request ends in) directly, with the same clients, between random seeded users, each call with
# an idempotency key of its own. The difference to the p2p row is what HTTP, Flask and Python cost.
POSTING_SCRIPT = r"""\set a random(1, :users)
\set b 1 + (:a + random(0, :users - 2)) % :users
SELECT f.status FROM bench_users s, bench_users t,
  LATERAL wallet_transfer('bench', md5(random()::text || clock_timestamp()::text), 'fingerprint',
    interval '48 hours', s.user_id, s.currency, t.wallet_id, NULL, NULL, 100, NULL, 9000000000000,
    clock_timestamp(), to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US+00:00'),
    'txn_' || md5(random()::text), 'trf_' || md5(random()::text)) f
 WHERE s.n = :a AND t.n = :b;
"""


def run_posting(database_url: str, users: list[dict], currency: str, *, clients: int, seconds: int,
                sample=None) -> dict:
    """pgbench -f POSTING_SCRIPT against the app's own database (seeded users in bench_users)."""
    import psycopg
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_users")
        conn.execute("CREATE TABLE bench_users (n int PRIMARY KEY, user_id text, wallet_id text, currency text)")
        with conn.cursor().copy("COPY bench_users FROM STDIN") as copy:
            for n, user in enumerate(users, start=1):
                copy.write_row((n, user["id"], user["wallet"], currency))
    parts = urlsplit(database_url)
    script = Path(tempfile.mkstemp(suffix=".sql")[1])
    script.write_text(POSTING_SCRIPT)
    command = ["pgbench", *_connection_args(database_url), "-c", str(clients), "-j", str(max(1, min(2, clients))),
               "-T", str(seconds), "-n", "-D", f"users={len(users)}", "-f", str(script), parts.path.lstrip("/")]
    try:
        return _run(command, seconds, sample)
    finally:
        script.unlink()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP TABLE bench_users")

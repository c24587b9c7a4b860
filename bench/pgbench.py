"""The yardstick: pgbench's TPC-B-like transaction on the same PostgreSQL server, same clients.

One TPC-B transaction (three UPDATEs, a SELECT, an INSERT) is about what one payment's database
work would be if it were a single transaction with no application in front of it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
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

"""Statements, round trips and transactions per request, as the app counted them.

The servers run with SQL_COUNTS_DIR set: each process writes its running totals there
(app/core/sql_counts.py says what is counted and how). A workload's figures are the differences
of the summed totals before and after it, divided by the requests the app answered in between,
so the two counts come from the same files and a late write shifts both alike.

For the pgbench rows the figures follow from their scripts: TPC-B-like sends BEGIN, three
UPDATEs, a SELECT, an INSERT and END (7 statements, one round trip each, one transaction) in
the simple protocol; the posting script sends one SELECT of wallet_transfer in autocommit.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

FIELDS = ("requests", "statements", "round_trips", "transactions")
WRITE_EVERY = 0.2  # seconds, as the app writes them

PGBENCH = {"tpcb": {"statements": 7, "round_trips": 7, "transactions": 1},
           "posting": {"statements": 1, "round_trips": 1, "transactions": 1}}


def totals(directory: Path) -> dict[str, int]:
    """The sum of every process's last written totals."""
    summed: Counter = Counter()
    for path in Path(directory).glob("*.json"):
        try:
            summed.update(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a process that died while writing: its last rename left the older file
    return {name: summed[name] for name in FIELDS}


def settled(directory: Path) -> dict[str, int]:
    """Totals once the last requests' counts have been written."""
    time.sleep(WRITE_EVERY * 2)
    return totals(directory)


def per_request(before: dict[str, int], after: dict[str, int]) -> dict[str, float | None]:
    requests = after["requests"] - before["requests"]
    return {f"{name}_per_request": round((after[name] - before[name]) / requests, 2) if requests > 0 else None
            for name in FIELDS[1:]} | {"requests_counted": requests}


def cpu_ms_per(cpu: dict, count: int) -> dict[str, float | None]:
    """App and database CPU milliseconds per payment (or page, or pgbench transaction)."""
    if not cpu or count <= 0:
        return {"app_cpu_ms": None, "db_cpu_ms": None}
    return {"app_cpu_ms": round(1000 * cpu.get("app_cpu_seconds", 0) / count, 2) if "app_cpu_seconds" in cpu else None,
            "db_cpu_ms": round(1000 * cpu["db_cpu_seconds"] / count, 2)}

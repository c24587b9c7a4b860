"""What the run found: the table on the terminal and the JSON file under bench/results/."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path

from bench.environment import ROOT

RESULTS = Path(__file__).resolve().parent / "results"


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _meminfo_total_mib() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(postgres_version: str, loadgen: str) -> dict:
    status = _git("status", "--porcelain")
    return {"commit": _git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None,
            "nproc": os.cpu_count(), "cpu_model": _cpu_model(), "memory_mib": _meminfo_total_mib(),
            "load_average_at_start": os.getloadavg(), "kernel": platform.release(),
            "python": platform.python_version(), "postgres": postgres_version, "load_generator": loadgen}


def _cell(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


COLUMNS = [("workload", 10), ("req/s", 8), ("ok/s", 8), ("p50 ms", 8), ("p95 ms", 8), ("p99 ms", 8),
           ("err %", 7), ("402 %", 7), ("app CPU%", 9), ("DB CPU%", 8), ("box CPU%", 9), ("hooks/s", 8),
           ("vs pgbench", 10)]


def table(rows: list[dict], pgbench: dict | None, posting: dict | None = None) -> str:
    lines = ["  ".join(name.rjust(width) for name, width in COLUMNS)]
    for row in rows:
        cpu = row["cpu"]
        values = [row["workload"], row["requests_per_second"], row["ok_per_second"], row["p50_ms"], row["p95_ms"],
                  row["p99_ms"], 100 * row["error_rate"], 100 * row["insufficient_funds_rate"],
                  cpu["app_cpu_percent"], cpu["db_cpu_percent"], cpu["machine_busy_percent"],
                  (row.get("webhooks") or {}).get("per_second"), row.get("ratio_to_pgbench")]
        digits = [0, 1, 1, 1, 1, 1, 2, 2, 0, 0, 0, 1, 2]
        lines.append("  ".join(_cell(v, d).rjust(w) for v, d, (_, w) in zip(values, digits, COLUMNS)))
    if pgbench:
        cpu = pgbench.get("cpu") or {}
        lines.append(f"{'pgbench':>10}  {pgbench['tps']:>8.1f}  TPC-B-like, latency avg "
                     f"{pgbench.get('latency_avg_ms')} ms, DB CPU {cpu.get('db_cpu_percent', '-')}%, "
                     f"box CPU {cpu.get('machine_busy_percent', '-')}%")
    if posting:
        cpu = posting.get("cpu") or {}
        ratio = f", {posting['tps'] / pgbench['tps']:.2f} of pgbench" if pgbench else ""
        lines.append(f"{'p2p in SQL':>10}  {posting['tps']:>8.1f}  wallet_transfer called by pgbench{ratio}, latency avg "
                     f"{posting.get('latency_avg_ms')} ms, DB CPU {cpu.get('db_cpu_percent', '-')}%")
    return "\n".join(lines)


COST_COLUMNS = [("per payment", 12), ("app CPU ms", 10), ("DB CPU ms", 9), ("statements", 10),
                ("round trips", 11), ("transactions", 12)]


def costs(rows: list[dict], pgbench: dict | None, posting: dict | None = None) -> str:
    """What one payment (a page for history; a transaction for the pgbench rows) cost."""
    lines = ["  ".join(name.rjust(width) for name, width in COST_COLUMNS)]
    named = [(row["workload"], row.get("per_payment") or {}) for row in rows]
    named += [(name, figures.get("per_transaction") or {}) for name, figures in
              (("pgbench", pgbench), ("p2p in SQL", posting)) if figures]
    for name, cost in named:
        values = [name, cost.get("app_cpu_ms"), cost.get("db_cpu_ms"),
                  cost.get("statements_per_request", cost.get("statements")),
                  cost.get("round_trips_per_request", cost.get("round_trips")),
                  cost.get("transactions_per_request", cost.get("transactions"))]
        lines.append("  ".join(_cell(v, 2).rjust(w) for v, (_, w) in zip(values, COST_COLUMNS)))
    return "\n".join(lines)


LOAD_COLUMNS = [("at load", 10), ("peak ok/s", 9), ("target/s", 8), ("sent/s", 8), ("p50 ms", 8), ("p90 ms", 8),
                ("p99 ms", 8), ("p99.9 ms", 8), ("late %", 7), ("err %", 7)]


def at_load(rows: list[dict], share: float) -> str:
    """The open-loop runs (bench.openloop) at `share` of each workload's measured peak: latency
    counted from each request's due time, so queueing behind a stall is in it."""
    lines = [f"open loop at {share:.0%} of each workload's peak ok/s (latency from each request's due time):",
             "  ".join(name.rjust(width) for name, width in LOAD_COLUMNS)]
    for row in rows:
        load = row.get("at_load")
        if not load:
            continue
        sent = max(load["sent"] + load["errors"], 1)
        values = [row["workload"], row["ok_per_second"], load["target_per_second"], load["achieved_per_second"],
                  load["p50_ms"], load["p90_ms"], load["p99_ms"], load["p99.9_ms"], 100 * load["late"] / sent,
                  100 * (load["other"] + load["errors"]) / sent]
        digits = [0, 1, 1, 1, 1, 1, 1, 1, 2, 2]
        lines.append("  ".join(_cell(v, d).rjust(w) for v, d, (_, w) in zip(values, digits, LOAD_COLUMNS)))
    return "\n".join(lines)


NOTES = ("ok/s is payments per second for p2p/qr_*/pos_charge (2xx only), pages per second for history; "
         "vs pgbench = ok/s / pgbench TPS. 402 % is insufficient funds, for pos_charge any refused charge "
         "(payment_code_used would mean the generator reused a code). CPU % is of one core (this box has "
         "{ncpu}); app = gunicorn + the webhook worker; DB = the bench database's backends + PostgreSQL's "
         "background processes; box = every process on the machine (load generator and anybody else "
         "included). hooks/s = webhooks the receiver got during the workload. Per payment: CPU over the "
         "payments (pages) that succeeded; statements, round trips and transactions per request the app "
         "answered, counted by the app at the driver (SQL_COUNTS_DIR); for pgbench, per transaction, from its "
         "script. Rate limiting is OFF in the "
         "servers (RATELIMIT_ENABLED=false); PAYMENT_CODE_PERIOD={period} s (production 30 s).")


def webhooks_line(webhooks: dict) -> str:
    receiver, outbox = webhooks.get("receiver") or {}, webhooks.get("outbox") or {}
    if not receiver:
        return "webhooks: no figures (the run stopped early)"
    drained = webhooks.get("drained_in_seconds")
    return (f"webhooks: {receiver['deliveries']} delivered ({receiver['unique']} distinct ids, "
            f"{receiver['bad_signature']} bad signatures) by one `flask webhooks work`; outbox after "
            + ("draining " + (f"{drained} s" if drained is not None else "(timed out)")) + ": "
            + ", ".join(f"{k} {v}" for k, v in sorted(outbox.items()) if k != "due"))


def write(result: dict, started: datetime) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path

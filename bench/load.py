"""Load generation: wrk with bench/workload.lua when installed, else bench.pyload.

Both return the same figures: requests, ok (2xx), s402 (insufficient funds; for pos_charge any
refused charge), other (any other status), timeouts, socket errors, latency percentiles in ms,
and sample bodies of an error and of a 402. pos_charge also reports how often the generator
waited for the next code period (pos_waits) and the probes it sent instead of a charge
(starved); bench/pos.py writes its requests before each run and learns which codes it used.
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
from pathlib import Path

WORKLOADS = ("p2p", "qr_spread", "qr_hot", "history", "pos_charge", "wallet_read", "healthz")
# wallet_read (a signed-in GET of one wallet) and healthz (no database, no auth) are references:
# what the same servers do per second with almost no work, the ceiling for any payment.
MONEY = {"p2p", "qr_spread", "qr_hot", "pos_charge"}
LUA = Path(__file__).resolve().parent / "workload.lua"


def write_data(seed: dict, directory: Path) -> None:
    """The seeded users and codes as files the Lua script (and the Python generator) read."""
    with open(directory / "users.tsv", "w") as fh:
        for user in seed["users"]:
            fh.write(f"{user['token']}\t{user['wallet']}\n")
    with open(directory / "payloads.txt", "w") as fh:
        for merchant in seed["merchants"]:
            fh.write(json.dumps(merchant["payload"]) + "\n")  # a JSON string, quotes included


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str | None:
    path = wrk_path()
    if path is None:
        return None
    result = subprocess.run([path, "-v"], capture_output=True, text=True)
    return (result.stdout + result.stderr).strip().splitlines()[0] if (result.stdout + result.stderr) else "wrk"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url: str, workload: str, data_dir: Path, *, clients: int, seconds: float, run_id: str,
            currency: str, period: int) -> dict:
    threads = max(1, min(2, clients))
    command = [wrk_path(), "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(LUA), url, workload, str(data_dir), run_id, currency,
               str(threads), str(period)]
    before = children_cpu()
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    figures = parse_wrk(result.stdout)
    if workload == "pos_charge":
        figures["pos_threads"] = threads
    figures["loadgen_cpu_seconds"] = round(children_cpu() - before, 2)
    return figures


def parse_wrk(stdout: str) -> dict:
    raw: dict[str, str] = {}
    taken, waits = [], 0
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            _, key, value = (line + " ").split(" ", 2)
            if key == "pos_taken":  # one line per (step, thread)
                taken.append(tuple(int(x) for x in value.split()))
            elif key == "pos_waits":  # one line per thread
                waits += int(value)
            else:
                raw[key] = value.strip()
    if "requests" not in raw:
        raise RuntimeError(f"wrk printed no figures:\n{stdout}")
    figures = {key: int(raw[key]) for key in ("requests", "ok", "s402", "other", "timeouts", "socket_errors",
                                              "starved")}
    figures["requests"] -= figures["starved"]  # probes, not charges (workload.lua, charge())
    if taken or waits:
        figures.update(pos_taken=taken, pos_waits=waits)
    figures["seconds"] = int(raw["duration_us"]) / 1e6
    for key in ("p50", "p90", "p95", "p99", "p99.9", "mean", "max"):
        figures[f"{key}_ms"] = round(int(float(raw[f"{key}_us"])) / 1000, 2)
    figures["error_sample"] = raw.get("error_sample") or None
    figures["sample_402"] = raw.get("sample_402") or None
    return figures


def run(url: str, workload: str, data_dir: Path, *, clients: int, seconds: float, run_id: str, currency: str,
        generator: str, book=None) -> dict:
    """One run. For pos_charge, `book` (a bench.pos.CodeBook) writes the signed requests first
    and afterwards marks the codes the generator used, so the next run does not send them again."""
    period = book.period if book else 30
    if workload == "pos_charge":
        book.write(data_dir, seconds)
    if generator == "wrk":
        figures = run_wrk(url, workload, data_dir, clients=clients, seconds=seconds, run_id=run_id,
                          currency=currency, period=period)
    else:
        from bench.pyload import run_python
        figures = run_python(url, workload, data_dir, clients=clients, seconds=seconds, run_id=run_id,
                             currency=currency, period=period)
    if workload == "pos_charge":
        figures["pos_codes_used"] = book.consumed(figures.pop("pos_taken", []), figures.pop("pos_threads"))
    return figures


def rates(figures: dict) -> dict:
    """Per-second rates and error shares. Errors are non-2xx other than 402, timeouts and broken
    connections; 402 (insufficient funds) is counted apart, as a business refusal."""
    seconds = max(figures["seconds"], 1e-9)
    attempts = max(figures["requests"] + figures["timeouts"], 1)
    errors = figures["other"] + figures["timeouts"] + figures["socket_errors"]
    return {"requests_per_second": round(figures["requests"] / seconds, 1),
            "ok_per_second": round(figures["ok"] / seconds, 1),
            "error_rate": round(errors / attempts, 5), "insufficient_funds_rate": round(figures["s402"] / attempts, 5)}

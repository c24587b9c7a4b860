"""The fallback load generator when wrk is not installed: one thread per client, each with its
own keep-alive http.client connection, sending the same requests as bench/workload.lua.

Weaker than wrk (the GIL shares one core among the clients), so its figures are a floor.
"""
from __future__ import annotations

import http.client
import json
import random
import resource
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.pos import Feed

TIMEOUT = 10.0


def _load(data_dir: Path) -> tuple[list[tuple[str, str]], list[str]]:
    users = [tuple(line.rstrip("\n").split("\t")) for line in open(data_dir / "users.tsv")]
    payloads = [json.loads(line) for line in open(data_dir / "payloads.txt")]
    return users, payloads


def _request(workload: str, rnd: random.Random, users, payloads, key: str, currency: str):
    token, wallet = rnd.choice(users)
    headers = {"Authorization": f"Bearer {token}"}
    if workload == "history":
        return "GET", f"/api/v1/wallets/{wallet}/transactions?limit=20", None, headers
    if workload == "wallet_read":
        return "GET", f"/api/v1/wallets/{wallet}", None, headers
    if workload == "healthz":
        return "GET", "/healthz", None, {}
    headers.update({"Content-Type": "application/json", "Idempotency-Key": key})
    amount = rnd.randint(1, 999)
    if workload == "p2p":
        to = wallet
        while to == wallet:
            to = rnd.choice(users)[1]
        body = {"to": to, "amount": amount, "currency": currency}
        return "POST", "/api/v1/transfers", json.dumps(body), headers
    payload = payloads[0] if workload == "qr_hot" else rnd.choice(payloads)
    body = {"payload": payload, "wallet_id": wallet, "amount": amount}
    return "POST", "/api/v1/qr/payments", json.dumps(body), headers


def run_python(url: str, workload: str, data_dir: Path, *, clients: int, seconds: float, run_id: str,
               currency: str, period: int = 30) -> dict:
    users, payloads = _load(data_dir)
    feed = Feed(data_dir, period) if workload == "pos_charge" else None
    host, port = urlsplit(url).hostname, urlsplit(url).port
    counts = {"requests": 0, "ok": 0, "s402": 0, "other": 0, "timeouts": 0, "socket_errors": 0, "starved": 0}
    latencies: list[float] = []
    samples: list[str] = []
    samples_402: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def client(index: int) -> None:
        rnd = random.Random(f"{run_id}-{index}")
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        mine, local = [], dict.fromkeys(counts, 0)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if feed is not None:
                request = feed.next(deadline)  # may wait for the next code period: before t0
                if request is None:
                    break
                method, path, body, headers = request
            else:
                method, path, body, headers = _request(workload, rnd, users, payloads, f"{run_id}-py{index}-{n}",
                                                       currency)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except TimeoutError:
                local["timeouts"] += 1
                conn.close()
                continue
            except (OSError, http.client.HTTPException):
                local["socket_errors"] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - t0)
            local["requests"] += 1
            if 200 <= response.status < 300:
                local["ok"] += 1
            elif response.status == 402:
                local["s402"] += 1
                if not samples_402:
                    samples_402.append(data[:300].decode(errors="replace"))
            else:
                local["other"] += 1
                if not samples:
                    samples.append(f"{response.status} {data[:300].decode(errors='replace')}")
        conn.close()
        with lock:
            latencies.extend(mine)
            for key, value in local.items():
                counts[key] += value

    before = resource.getrusage(resource.RUSAGE_SELF)
    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + TIMEOUT + 5)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    figures = {**counts, "seconds": elapsed, "error_sample": samples[0] if samples else None,
               "sample_402": samples_402[0] if samples_402 else None, **(feed.report() if feed else {}),
               "loadgen_cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)}
    figures.update(percentiles(latencies))
    return figures


def percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies) or [0.0]

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

    out = {f"p{p:g}_ms": at(p) for p in (50, 90, 95, 99, 99.9)}
    out["mean_ms"] = round(sum(ordered) / len(ordered) * 1000, 2)
    out["max_ms"] = round(ordered[-1] * 1000, 2)
    return out

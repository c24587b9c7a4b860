"""Open-loop load at a fixed rate (as wrk2 does; wrk itself has no rate option): latency at a
load the servers can carry, not at saturation.

The closed-loop run (bench.load) measures the peak: each client sends its next request when the
previous answer arrives, so the servers are always saturated and p99 is mostly queueing. Here
request i is due at start + i / rate whatever happened before it, and its latency is counted
from that due time, not from when a connection was free to send it. A server that stalls for a
moment therefore shows the stall in every request that was due during it (no "coordinated
omission": a closed loop would have sent fewer requests and reported only the one slow answer).

Connections are threads with one keep-alive HTTP connection each; a thread takes the next due
request, sleeps until its time, sends it and waits for the answer. `connections` bounds how many
can be outstanding: if all are busy, due requests wait, and that wait is in their latency.
`late` counts requests sent more than 10 ms after their due time (the generator or the servers
could not keep the rate); `achieved_per_second` is what was sent.
"""
from __future__ import annotations

import http.client
import itertools
import random
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.pyload import TIMEOUT, Feed, _load, _request, percentiles

LATE_SECONDS = 0.010


def run_fixed_rate(url: str, workload: str, data_dir: Path, *, rate: float, seconds: float, connections: int,
                   run_id: str, currency: str, book=None) -> dict:
    """Send `rate` requests per second for `seconds`; latency percentiles from each due time.
    pos_charge: `book` (bench.pos.CodeBook) writes the signed requests first and learns which
    codes were used afterwards, as for the closed-loop run."""
    users, payloads = _load(data_dir)
    feed = None
    if workload == "pos_charge":
        book.write(data_dir, seconds)
        feed = Feed(data_dir, book.period)
    end = time.monotonic() + seconds + 5
    host, port = urlsplit(url).hostname, urlsplit(url).port
    interval = 1.0 / rate
    total = max(1, int(rate * seconds))
    ticket = itertools.count()
    take = threading.Lock()
    counts = {"sent": 0, "ok": 0, "s402": 0, "other": 0, "errors": 0, "late": 0, "starved": 0}
    latencies: list[float] = []
    merge = threading.Lock()
    start = time.perf_counter() + 0.05  # every thread is waiting before the first request is due

    def connection(index: int) -> None:
        rnd = random.Random(f"{run_id}-open-{index}")
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        mine, local = [], dict.fromkeys(counts, 0)
        while True:
            with take:
                i = next(ticket)
            if i >= total:
                break
            due = start + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif -delay > LATE_SECONDS:
                local["late"] += 1
            if feed is not None:  # taken when due: a terminal's code is valid for one period
                request = feed.next(end)
                if request is None:
                    local["starved"] += 1
                    continue
            else:
                request = _request(workload, rnd, users, payloads, f"{run_id}-open{index}-{i}", currency)
            method, path, body, headers = request
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                local["errors"] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - due)
            local["sent"] += 1
            status = response.status
            local["ok" if 200 <= status < 300 else "s402" if status == 402 else "other"] += 1
        conn.close()
        with merge:
            latencies.extend(mine)
            for key, value in local.items():
                counts[key] += value

    threads = [threading.Thread(target=connection, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT + 30)
    elapsed = max(time.perf_counter() - start, 1e-9)
    figures = {**counts, "target_per_second": round(rate, 1), "achieved_per_second": round(counts["sent"] / elapsed, 1),
               "seconds": round(elapsed, 2), "connections": connections}
    figures.update(percentiles(latencies))
    if feed is not None:
        report = feed.report()
        figures["pos_waits"] = report["pos_waits"]
        book.consumed(report["pos_taken"], report["pos_threads"])
    return figures


def summary(workload: str, share: float, peak: float, figures: dict) -> str:
    return (f"{workload} at {share:.0%} of {peak}/s: sent {figures['achieved_per_second']}/s, p50 {figures['p50_ms']} "
            f"ms, p99 {figures['p99_ms']} ms, late {figures['late']}, errors {figures['errors'] + figures['other']}")

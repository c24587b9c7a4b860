"""The pos_charge workload's requests: shop terminals charging codes that customers' phones show.

wrk's Lua can do neither HMAC nor TOTP, so the requests are made here, signed as terminals sign
(app.pos.signing) with codes as phones make them (app.qr.payment_codes), just before each run:

    <step> \\t <terminal id> \\t <X-Timestamp> \\t <X-Nonce> \\t <X-Signature> \\t <Idempotency-Key> \\t <body>

one line per (device, TOTP step) for every step that the run can reach. A code is accepted once
per device and step, so the load generator takes, in the current step (now // period), lines
of that step's group only, each once; when the group is used up it waits for the next step
(the code supply, not the server, is then the limit: the run reports those waits).

Runs that share a step (the warm-up, then the measured run) must not both use a device's code
of that step: the generator reports how many lines of each step each of its threads took
(thread t of T takes the group's lines t-1, t-1+T, ...), `consumed` marks exactly those
(device, step) pairs, and the next file leaves them out.
"""
from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import defaultdict
from pathlib import Path

from app.pos import signing
from app.qr import payment_codes

PATH = "/api/v1/pos/charges"
FILE = "pos_charges.tsv"
SLACK_SECONDS = 3  # writing the file and starting wrk happen inside the window too


class CodeBook:
    def __init__(self, seed: dict):
        codes = seed["payment_codes"]
        self.prefix, self.period, self.devices = codes["prefix"], codes["period"], codes["devices"]
        self.terminals = [m["terminal"] for m in seed["merchants"]]
        self.currency = seed["currency"]
        self.used: set[tuple[int, int]] = set()  # (device index, step) taken by a load generator
        self.lines: list[tuple[int, int]] = []  # (step, device index) of the last file, in its order
        self.rnd = random.Random()

    def supply_per_second(self) -> float:
        return len(self.devices) / self.period

    def _line(self, step: int, index: int) -> str:
        device, terminal = self.devices[index], self.rnd.choice(self.terminals)
        code = payment_codes.make_code(self.prefix, device["handle"], device["slot"], device["secret"],
                                       step * self.period, period=self.period)
        body = json.dumps({"payment_code": code, "amount": self.rnd.randint(1, 999), "currency": self.currency,
                           "reference": f"B{step}-{index}"}, separators=(",", ":"))
        # The step's start is at most one period before the request is sent: well inside the skew.
        timestamp, nonce = str(step * self.period), secrets.token_hex(16)
        signature = signing.sign(terminal["secret"], "POST", PATH, timestamp, nonce, body.encode())
        return "\t".join([str(step), terminal["id"], timestamp, nonce, signature, f"bench-{nonce}", body])

    def write(self, data_dir: Path, seconds: float) -> int:
        """The file for a run of `seconds` starting now; returns its line count."""
        now = time.time()
        first, last = int(now) // self.period, int(now + seconds + SLACK_SECONDS) // self.period
        self.lines = []
        with open(data_dir / FILE, "w") as fh:
            for step in range(first, last + 1):
                for index in range(len(self.devices)):
                    if (index, step) not in self.used:
                        fh.write(self._line(step, index) + "\n")
                        self.lines.append((step, index))
        return len(self.lines)

    def consumed(self, taken: list[tuple[int, int, int]], threads: int) -> int:
        """Mark the lines the generator took: (step, thread 1..T, count) from its report."""
        groups: dict[int, list[int]] = defaultdict(list)
        for step, index in self.lines:
            groups[step].append(index)
        marked = 0
        for step, thread, count in taken:
            share = groups[step][thread - 1::threads][:count]
            self.used.update((index, step) for index in share)
            marked += len(share)
        return marked


class Feed:
    """The Python generator's reader of the same file: one pool per step shared by all client
    threads (so it reports as a single thread), waiting for the next step when a pool is empty."""

    def __init__(self, data_dir: Path, period: int):
        self.period, self.waits = period, 0
        self.groups: dict[int, list[tuple]] = defaultdict(list)
        self.taken: dict[int, int] = defaultdict(int)
        self.lock = threading.Lock()
        for line in open(data_dir / FILE):
            step, terminal, timestamp, nonce, signature, key, body = line.rstrip("\n").split("\t", 6)
            headers = {"Content-Type": "application/json", "X-Terminal-Id": terminal, "X-Timestamp": timestamp,
                       "X-Nonce": nonce, "X-Signature": signature, "Idempotency-Key": key}
            self.groups[int(step)].append(("POST", PATH, body, headers))
        self.last = max(self.groups, default=-1)

    def next(self, deadline: float) -> tuple | None:
        """A request whose code is valid now, or None once the run is over or the file is."""
        while True:
            now = time.time()
            step = int(now) // self.period
            with self.lock:
                group, i = self.groups.get(step, []), self.taken[step]
                if i < len(group):
                    self.taken[step] = i + 1
                    return group[i]
                self.waits += 1
            wait = (step + 1) * self.period - now
            if step >= self.last or wait >= deadline - time.monotonic():  # deadline: time.monotonic()
                return None
            time.sleep(wait + 0.001)

    def report(self) -> dict:
        return {"pos_taken": [(step, 1, n) for step, n in self.taken.items() if n], "pos_threads": 1,
                "pos_waits": self.waits}

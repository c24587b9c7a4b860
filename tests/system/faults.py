"""The bank test's faults: a private Redis restarted once, and server workers SIGKILLed.

After each kill the injector leaves that server alone until it has recovered: all its workers
there again (the victim gone, a replacement in its place), for longer than granian's crash-loop
window, and answering /readyz. granian (2.x, `server/common.py`) exits for good, "Worker crash
loop detected", when a worker it respawned at most 5.5 s ago dies again; an injector that killed
again at once ended whole servers by itself (both servers were gone in a 60 s outage run), which
is a fault of the test, not of the product. The window is counted from the moment the
replacement is seen, which is after granian noted its respawn, so the rest is never too short.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import urllib.request

from bench.servers import Server, free_port

CRASH_LOOP_WINDOW = 5.5  # granian: a worker dying within this many seconds of its respawn ends the server
MARGIN = 0.5


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


class Recovery:
    """A server one of whose workers was killed, until it is whole and serving again."""

    def __init__(self, server: Server, victim: int):
        self.server, self.victim, self.whole_since = server, victim, None

    def over(self) -> bool:
        workers = self.server.worker_pids()
        if self.victim in workers or len(workers) < self.server.workers:
            self.whole_since = None
            return False
        if self.whole_since is None:
            self.whole_since = time.monotonic()
        if time.monotonic() - self.whole_since <= CRASH_LOOP_WINDOW + MARGIN:
            return False
        try:
            with urllib.request.urlopen(f"{self.server.url}/readyz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


def inject_faults(servers: list[Server], redis: PrivateRedis, deadline: float, report, rng: random.Random,
                  interval: float) -> None:
    """Every `interval` or so (0.5x to 1.5x), SIGKILL a worker of a server that has recovered from
    the last kill (see Recovery); once, halfway, restart Redis. Appends to `report.faults`."""
    redis_restarted = False
    start = time.monotonic()
    recovering: dict[int, Recovery] = {}
    while time.monotonic() < deadline - interval:
        time.sleep(rng.uniform(interval / 2, interval * 1.5))
        if not redis_restarted and time.monotonic() - start > (deadline - start) / 2:
            redis.kill()
            time.sleep(0.5)
            redis.start()
            report.faults.append("restarted redis")
            redis_restarted = True
            continue
        for key in [key for key, recovery in recovering.items() if recovery.over()]:
            del recovering[key]
        ready = [server for server in servers if id(server) not in recovering]
        if not ready:
            continue
        server = rng.choice(ready)
        workers = server.worker_pids()
        if workers:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                report.faults.append(f"SIGKILL worker {victim} of :{server.port}")
            except ProcessLookupError:
                pass
            recovering[id(server)] = Recovery(server, victim)

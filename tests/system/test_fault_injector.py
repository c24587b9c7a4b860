"""The bank test's fault injector cannot end a server by itself.

Shown to fail: with the injector as it was (killing again at once, no rest after a kill), this
run's server was gone within seconds: granian's "Worker crash loop detected", as when a worker it
respawned less than 5.5 s ago dies again; that is how both servers of a 60 s outage run died."""
from __future__ import annotations

import random
import time
import urllib.request
from types import SimpleNamespace

from tests.system.faults import CRASH_LOOP_WINDOW, inject_faults
from tests.system.production import production_server


class NoRedis:
    """The injector restarts Redis once; this test is about the server alone."""

    def kill(self) -> None:
        pass

    def start(self) -> None:
        pass


def test_killing_workers_as_fast_as_it_may_leaves_the_server_serving(tmp_path):
    report = SimpleNamespace(faults=[])
    with production_server(tmp_path, "wallet_fault_injector") as (server, _seed):
        seconds = 2 * (CRASH_LOOP_WINDOW + 2.5)  # room for two kills, each rested until the server recovered

        inject_faults([server], NoRedis(), time.monotonic() + seconds, report, random.Random(3), interval=0.3)

        kills = [fault for fault in report.faults if fault.startswith("SIGKILL")]
        assert len(kills) >= 2, report.faults
        assert server.process.poll() is None, server.log_tail()
        assert "crash loop" not in server.log_tail()
        with urllib.request.urlopen(f"{server.url}/readyz", timeout=10) as response:
            assert response.status == 200

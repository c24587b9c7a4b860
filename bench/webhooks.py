"""The webhook side of a run: `flask webhooks work` next to gunicorn, as production runs it, and
the merchants' receiver (bench/receiver.py) that it delivers to.

Every payment a workload makes emits payment.succeeded into the outbox in the payment's own
transaction; the worker claims and sends them while the load runs, so its database work and CPU
are part of what is measured (its process counts as app CPU, bench/cpu.py). Per workload the
run reports the deliveries the receiver got and the backlog left in the outbox; at the end the
bench lets the worker drain for a while and reports the outbox by status.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

from bench.environment import FLASK, ROOT
from bench.servers import free_port


def _stop(process: subprocess.Popen | None, grace: float) -> None:
    """TERM (the worker finishes its round and records it), then KILL after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class Webhooks:
    def __init__(self, env: dict, data_dir: Path, database_url: str, *, batch: int | None = None):
        self.env, self.data_dir, self.database_url, self.batch = env, data_dir, database_url, batch
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/hooks/"  # + merchant id, at registration
        self.receiver: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def start(self, seed: dict) -> None:
        secrets = {m["id"]: m["webhook"]["secret"] for m in seed["merchants"]}
        (self.data_dir / "webhook_secrets.json").write_text(json.dumps(secrets))
        self.receiver = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--port", str(self.port),
             "--secrets", str(self.data_dir / "webhook_secrets.json")],
            cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while self._ask_receiver() is None:
            if self.receiver.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.1)
        log = open(self.data_dir / "webhook-worker.log", "ab")
        command = [str(FLASK)] if FLASK.exists() else [sys.executable, "-m", "flask"]
        command += ["webhooks", "work"] + (["--batch", str(self.batch)] if self.batch else [])
        self.worker = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        log.close()

    def pids(self) -> list[int]:
        """The worker's process (its send threads are threads of it), while it runs."""
        return [self.worker.pid] if self.worker is not None and self.worker.poll() is None else []

    def check(self) -> None:
        if self.worker is not None and self.worker.poll() is not None:
            raise RuntimeError(f"the webhook worker exited with {self.worker.returncode}:\n{self.log_tail()}")

    def _ask_receiver(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as response:
                return json.load(response)
        except OSError:
            return None

    def stats(self) -> dict:
        """The receiver's counts: deliveries, unique (webhook-ids), bad_signature, by_type."""
        stats = self._ask_receiver()
        if stats is None:
            raise RuntimeError("the webhook receiver does not answer")
        return stats

    def outbox(self) -> dict[str, int]:
        """Deliveries by status, and how many of the pending ones are due now (the backlog)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            out = dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY status").fetchall())
            out["due"] = conn.execute("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' "
                                      "AND next_attempt_at <= now()").fetchone()[0]
        return out

    def drain(self, timeout: float) -> float | None:
        """Wait until nothing is pending; the seconds it took, or None if still pending after `timeout`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.outbox().get("pending"):
                return round(time.monotonic() - started, 1)
            self.check()
            time.sleep(0.5)
        return None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.data_dir / "webhook-worker.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        _stop(self.worker, grace=10)
        _stop(self.receiver, grace=5)


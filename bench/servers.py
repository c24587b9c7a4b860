"""The app under test on 127.0.0.1, in its own process group: the production server (granian
RSGI with app.core.rsgi_bridge, as app.serve runs it), gunicorn gthread, or granian's WSGI."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tempfile
import urllib.request
from pathlib import Path

from app import serve
from bench.environment import ROOT

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env: dict, *, workers: int, threads: int, log_path: Path, port: int | None = None,
                 kind: str = "rsgi"):
        self.env, self.workers, self.threads, self.log_path, self.kind = env, workers, threads, log_path, kind
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.kind == "rsgi":
            return serve.server_command(self.port, workers=self.workers)
        if self.kind == "granian":
            # Rust parses HTTP and holds idle connections; Flask runs on the blocking threads.
            return [str(GUNICORN.with_name("granian")), "--interface", "wsgi", "--workers", str(self.workers),
                    "--blocking-threads", str(self.threads), "--host", "127.0.0.1", "--port", str(self.port),
                    "--log-level", "warning", "--no-ws", "wsgi:app"]
        base = [str(GUNICORN)] if GUNICORN.exists() else [sys.executable, "-m", "gunicorn"]
        # keep-alive 30 s: as behind a load balancer that reuses connections.
        return [*base, "--worker-class", "gthread", "--workers", str(self.workers), "--threads", str(self.threads),
                "--bind", f"127.0.0.1:{self.port}", "--keep-alive", "30", "--timeout", "60",
                "--log-level", "warning", "wsgi:app"]

    def start(self, ready_timeout: float = 60) -> None:
        log = open(self.log_path, "ab")
        env = self.env
        if self.kind == "rsgi":  # its threads, long polls and metrics folder, as app.serve sets them
            env = serve.server_env(env, Path(tempfile.mkdtemp(prefix="server-")), threads=self.threads)
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) >= self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} was not ready within {ready_timeout} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as fh:
                return [int(pid) for pid in fh.read().split()]
        except OSError:
            return []

    def pids(self) -> list[int]:
        return ([self.process.pid] if self.process else []) + self.worker_pids()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """TERM the whole process group (start_new_session: its id is the master's pid), then KILL
        what is left after 10 s. Also reaps workers left behind by a master that died."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=5)

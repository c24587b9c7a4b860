"""`bin/run`: the product on this machine, served as production serves it.

Starts the embedded PostgreSQL (unless DATABASE_URL is set) and owns it: the server stops when
this process ends. Migrates, seeds the demo users, then runs granian (2 workers on 127.0.0.1:PORT,
each reading requests on its event loop and running Flask on 8 threads: app.core.rsgi_bridge)
with DATABASE_URL pointing every worker at that one server. Ctrl-C stops all.
In production, `python -m app.serve --no-setup --host 0.0.0.0 --port 8000` runs the same server
without the embedded database, the migrations or the demo users (README, Running in production).
For development with reload on change: `FLASK_APP=wsgi .venv/bin/flask run --debug` (it starts
or joins the same embedded server).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS, THREADS = 2, 8  # per server; THREADS per worker process
# Connections a worker takes from the listening socket at once (granian's backpressure counts
# connections, idle ones included): beyond it new ones wait in the kernel's queue, unserved, until
# one closes. Measured: at 512 (granian's default for 2 workers), 1,050 held connections made a
# fresh /healthz wait 10 s. 2,048 holds the 1,000 idle clients we size for on a single worker
# (the kernel may hand them all to one) and bounds what they pin: each at most a 64 KiB header
# buffer and a MAX_BODY_BYTES body, ~256 MiB per worker in the worst case. The listen backlog
# matches it, and the process needs that many file descriptors (ulimit -n).
BACKPRESSURE = 2048


def server_command(port: int | str, *, workers: int = WORKERS, host: str = "127.0.0.1") -> list[str]:
    """granian serving rsgi:app. Header-read timeout 10 s (a slow-header client is dropped, never
    given a thread); the read buffer of 64 KiB caps what one connection's headers can pin (beyond
    it granian answers 431 itself, below it the bridge answers in our envelope); a killed worker is
    replaced (the bank test kills them)."""
    return [str(BIN / "granian"), "--interface", "rsgi", "--workers", str(workers), "--host", host,
            "--port", str(port), "--backpressure", str(BACKPRESSURE),
            "--backlog", str(BACKPRESSURE), "--http1-buffer-size", "65536",
            "--http1-header-read-timeout", "10000", "--respawn-failed-workers", "--respawn-interval", "0.5",
            "--no-ws", "--log-level", "warning", "rsgi:app"]


def server_env(env: dict, instance: Path, *, threads: int = THREADS) -> dict:
    """The workers' environment: their thread count, long polls at half of it (waiting terminals
    never take more than half the threads), and a fresh, empty PROMETHEUS_MULTIPROC_DIR made
    before any worker starts, so /metrics adds up every worker of this run and nothing older."""
    metrics_dir = instance / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env = dict(env, WSGI_THREADS=str(threads), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    env.setdefault("LONG_POLL_MAX_WAITERS", str(threads // 2))
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--no-setup", action="store_true",
                        help="production: serve only (no embedded database, migrations or demo users)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    env = dict(os.environ, FLASK_APP="wsgi")
    if not args.no_setup:
        setup_error = _set_up(env)
        if setup_error:
            return setup_error
    server = subprocess.Popen(server_command(args.port, workers=args.workers, host=args.host), cwd=ROOT,
                              env=server_env(env, ROOT / "instance"))
    print(f"app.serve: serving on http://{args.host}:{args.port} (API document at /openapi.json, docs at /docs)")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda sig, _frame: server.send_signal(sig))
    return server.wait()


def _set_up(env: dict) -> int:
    """bin/run's setup: the embedded PostgreSQL unless DATABASE_URL is set, migrations, demo users."""
    if not env.get("DATABASE_URL"):
        from app.core.embedded_postgres import EmbeddedPostgresError, start
        try:
            env["DATABASE_URL"] = start(ROOT / "instance" / "pgdata", "wallet")
        except EmbeddedPostgresError as exc:
            print(f"bin/run: {exc}", file=sys.stderr)
            return 1
        print("bin/run: embedded PostgreSQL under instance/pgdata (set DATABASE_URL to use another server)")
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True)
    # The demo users now exist: the sign-in pages list them (app.demo_signins). Production
    # (--no-setup) never gets here, and its config refuses the flag anyway.
    env["DEMO_SIGNINS"] = "1"
    return 0


if __name__ == "__main__":
    sys.exit(main())

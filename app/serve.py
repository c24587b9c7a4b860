"""`bin/run`: the product on this machine, served as production serves it.

Starts the embedded PostgreSQL (unless DATABASE_URL is set) and owns it: the server stops when
this process ends. Migrates, seeds the demo users, then runs gunicorn (2 workers x 8 threads on
127.0.0.1:PORT) with DATABASE_URL pointing every worker at that one server. Ctrl-C stops all.
For development with reload on change: `FLASK_APP=wsgi .venv/bin/flask run --debug` (it starts
or joins the same embedded server).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
THREADS = 8  # per gunicorn worker


def main() -> int:
    env = dict(os.environ, FLASK_APP="wsgi")
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
    port = env.get("PORT", "5000")
    env.setdefault("LONG_POLL_MAX_WAITERS", str(THREADS // 2))  # long polls never take more than half
    server = subprocess.Popen([str(BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "2",
                               "--threads", str(THREADS),
                               "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"], cwd=ROOT, env=env)
    print(f"bin/run: serving on http://127.0.0.1:{port} (API document at /openapi.json, docs at /docs)")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda sig, _frame: server.send_signal(sig))
    return server.wait()


if __name__ == "__main__":
    sys.exit(main())

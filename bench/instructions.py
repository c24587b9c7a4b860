"""Instructions per payment: the app's CPU cost as a count that a busy shared machine does not distort.

    .venv/bin/python -m bench.instructions prepare [--workload p2p|qr|charge] [--dir /tmp/wallet-instr]
    .venv/bin/python -m bench.instructions measure [--workload p2p|qr|charge|history] [--requests 200] [--dir ...]
    .venv/bin/python -m bench.instructions profile [--workload p2p] [--requests 2000] [--dir ...]

`prepare` recreates the database (--database), seeds it with bench.seed and writes the seed and the
app's environment under --dir. `measure` runs this process twice under `valgrind --tool=callgrind`
(one run sending 0 payments, one sending --requests, after the same 50 warm-up payments; both load
the same app) and divides the difference of their instruction totals by --requests: what one
payment costs in-process (Flask's test client, no HTTP server), start-up and warm-up cancelled out.
`profile` prints cProfile's top functions (cumulative and own time) for --requests payments, to see
where they go. Nothing here is timed against a limit: the figures go to the README's Performance.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import environment


def _prepare(args) -> int:
    database_url = environment.recreate_database(args.pg, args.database)
    env = environment.app_env(database_url, args.redis_url, token_ttl=24 * 3600)
    environment.migrate(env)
    environment.lift_limits(database_url)
    environment.flush_redis(args.redis_url)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    environment.seed(env, users=200, merchants=5, balance=10_000_000, devices=3000, webhook_url=None,
                     out=folder / "seed.json")
    keep = ("APP_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SIGNING_KEYS", "DATA_ENCRYPTION_KEY",
            "HASH_PEPPER", "RATELIMIT_ENABLED", "WEBHOOK_ALLOW_LOCAL", "ACCESS_TOKEN_TTL")
    (folder / "env.json").write_text(json.dumps({k: env[k] for k in keep}))
    print(f"prepared {folder}")
    return 0


def _send_all(args, requests: int, profile: bool = False) -> None:
    """In this process: the app, 50 warm-up payments, then `requests` more (under cProfile if asked)."""
    from bench.profile import _requests
    folder = Path(args.dir)
    os.environ.update(json.loads((folder / "env.json").read_text()))
    seed = json.loads((folder / "seed.json").read_text())
    from app import create_app
    app = create_app()
    client = app.test_client()
    rng = random.Random(1)
    statuses: dict[int, int] = {}

    def send(method, path, body, headers):
        if isinstance(body, bytes):
            response = client.open(path, method=method, data=body, headers=headers)
        else:
            response = client.open(path, method=method, json=body, headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    # Each run takes its own devices for charges (a code is accepted once per device and period).
    start = args.offset
    for request in _requests(args.workload, seed, 50, rng, start=start):
        send(*request)
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
    if profiler:
        profiler.enable()
    for request in _requests(args.workload, seed, requests, rng, start=start + 50):
        send(*request)
    if profiler:
        profiler.disable()
        profiler.dump_stats(Path(args.dir) / f"{args.workload}.pstats")  # for pstats' print_callers
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(35)
    print(f"statuses {statuses}", file=sys.stderr)


def _instructions(args, requests: int, offset: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                   "bench.instructions", "run", "--workload", args.workload, "--requests", str(requests),
                   "--dir", args.dir, "--offset", str(offset)]
        result = subprocess.run(command, capture_output=True, text=True,
                                env=dict(os.environ, PYTHONHASHSEED="0"))
        found = re.search(r"Collected : (\d+)", result.stderr)
        if result.returncode != 0 or found is None:
            raise RuntimeError(result.stderr[-3000:])
        statuses = [line for line in result.stderr.splitlines() if line.startswith("statuses")]
        print(f"  {requests} payments: {int(found.group(1)):,} instructions; {statuses[-1] if statuses else ''}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("action", choices=("prepare", "measure", "profile", "run"))
    parser.add_argument("--workload", choices=("p2p", "qr", "charge", "history"), default="p2p")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--offset", type=int, default=0, help="first payment-code device (charges)")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "wallet-instructions"))
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="wallet_instructions", help="recreated by prepare")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args(argv)
    if args.action == "prepare":
        return _prepare(args)
    if args.action == "run":
        _send_all(args, args.requests)
        return 0
    if args.action == "profile":
        _send_all(args, args.requests, profile=True)
        return 0
    # Charges: the two runs use different devices, and neither reuses the other's codes.
    base = _instructions(args, 0, offset=0)
    more = _instructions(args, args.requests, offset=1000)
    print(f"{args.workload}: {(more - base) / args.requests:,.0f} instructions per payment "
          f"(callgrind, in-process, {args.requests} payments)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a payment's time goes: one workload in-process under pyinstrument, on PostgreSQL.

    .venv/bin/python -m bench.profile [--workload p2p|qr|history] [--requests 500] [--html out.html]

Recreates the wallet_profile database, seeds 200 users and 5 merchants with bench.seed, then
sends the requests through Flask's test client (no HTTP server: what is left is the app, the
ORM and the database round trips) and prints pyinstrument's call tree and the time per request.
Needs `pip install pyinstrument` (not a runtime dependency).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import environment


def _requests(workload: str, seed: dict, n: int, rng: random.Random):
    users, merchants = seed["users"], seed["merchants"]
    for _ in range(n):
        user = rng.choice(users)
        headers = {"Authorization": f"Bearer {user['token']}", "Idempotency-Key": uuid.uuid4().hex}
        if workload == "history":
            yield "GET", f"/api/v1/wallets/{user['wallet']}/transactions?limit=20", None, headers
        elif workload == "qr":
            body = {"payload": rng.choice(merchants)["payload"], "wallet_id": user["wallet"], "amount": 100}
            yield "POST", "/api/v1/qr/payments", body, headers
        else:
            other = rng.choice([u for u in users if u is not user])
            yield "POST", "/api/v1/transfers", {"to": other["wallet"], "amount": 100, "currency": seed["currency"]}, headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--workload", choices=("p2p", "qr", "history"), default="p2p")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    database_url = environment.recreate_database(args.pg, "wallet_profile")
    env = environment.app_env(database_url, args.redis_url, token_ttl=3600)
    environment.migrate(env)
    environment.flush_redis(args.redis_url)
    with tempfile.TemporaryDirectory() as tmp:
        environment.seed(env, users=200, merchants=5, balance=10_000_000, devices=0, webhook_url=None, out=Path(tmp) / "seed.json")
        seed = json.loads((Path(tmp) / "seed.json").read_text())
    os.environ.update(env)
    from app import create_app
    client = create_app().test_client()
    rng = random.Random(1)
    for method, path, body, headers in _requests(args.workload, seed, 50, rng):  # warm up
        client.open(path, method=method, json=body, headers=headers)
    profiler = Profiler(interval=0.0005)
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    profiler.start()
    for method, path, body, headers in _requests(args.workload, seed, args.requests, rng):
        status = client.open(path, method=method, json=body, headers=headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
    profiler.stop()
    elapsed = time.perf_counter() - started
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.requests} {args.workload} requests in {elapsed:.2f} s: {elapsed / args.requests * 1000:.2f} ms "
          f"each (one thread, in-process); statuses {statuses}")
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a payment's time goes: one workload in-process under pyinstrument, on PostgreSQL.

    .venv/bin/python -m bench.profile [--workload p2p|qr|charge|history] [--requests 500] [--html out.html]

Recreates the wallet_profile database, seeds 200 users and 5 merchants with bench.seed, then
sends the requests through Flask's test client (no HTTP server: what is left is the app, the
ORM and the database round trips) and prints pyinstrument's call tree and the time per request.
pyinstrument comes with requirements-dev.txt (it is not a runtime dependency).
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


def _charges(seed: dict, n: int, rng: random.Random, start: int):
    """Terminal charges, signed as a till signs, each with a fresh code of its own device."""
    from app.pos import signing
    from app.qr import payment_codes
    codes = seed["payment_codes"]
    for i in range(start, start + n):
        device, terminal = codes["devices"][i % len(codes["devices"])], rng.choice(seed["merchants"])["terminal"]
        code = payment_codes.make_code(codes["prefix"], device["handle"], device["slot"], device["secret"],
                                       time.time(), period=codes["period"])
        body = json.dumps({"payment_code": code, "amount": 100, "currency": seed["currency"]}).encode()
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
        headers = {"X-Terminal-Id": terminal["id"], "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "Idempotency-Key": nonce, "Content-Type": "application/json",
                   "X-Signature": signing.sign(terminal["secret"], "POST", "/api/v1/pos/charges", timestamp, nonce,
                                               body)}
        yield "POST", "/api/v1/pos/charges", body, headers


def _requests(workload: str, seed: dict, n: int, rng: random.Random, start: int = 0):
    if workload == "charge":
        yield from _charges(seed, n, rng, start)  # start: warm-up and run use different devices
        return
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


def _count_statements(app) -> list:
    """Every statement sent to PostgreSQL: a figure that, unlike time, does not vary between runs."""
    from sqlalchemy import event

    from app.extensions import db
    sent: list = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--workload", choices=("p2p", "qr", "charge", "history"), default="p2p")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one more request")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    database_url = environment.recreate_database(args.pg, "wallet_profile")
    env = environment.app_env(database_url, args.redis_url, token_ttl=3600)
    environment.migrate(env)
    environment.flush_redis(args.redis_url)
    with tempfile.TemporaryDirectory() as tmp:
        devices = 2000 if args.workload == "charge" else 0  # one code per device and period (30 s)
        environment.seed(env, users=200, merchants=5, balance=10_000_000, devices=devices, webhook_url=None,
                         out=Path(tmp) / "seed.json")
        seed = json.loads((Path(tmp) / "seed.json").read_text())
    os.environ.update(env)
    from app import create_app
    app = create_app()
    client = app.test_client()
    statements = _count_statements(app)
    rng = random.Random(1)
    def send(method, path, body, headers):
        if isinstance(body, bytes):  # signed as sent: the exact bytes
            return client.open(path, method=method, data=body, headers=headers)
        return client.open(path, method=method, json=body, headers=headers)

    for request in _requests(args.workload, seed, 50, rng):  # warm up
        send(*request)
    statements.clear()
    profiler = Profiler(interval=0.0005)
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    profiler.start()
    for request in _requests(args.workload, seed, args.requests, rng, start=50):
        status = send(*request).status_code
        statuses[status] = statuses.get(status, 0) + 1
    profiler.stop()
    elapsed = time.perf_counter() - started
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.requests} {args.workload} requests in {elapsed:.2f} s: {elapsed / args.requests * 1000:.2f} ms "
          f"each (one thread, in-process); statuses {statuses}; "
          f"{len(statements) / args.requests:.1f} SQL statements per request (COMMIT/ROLLBACK not counted)")
    if args.show_sql:
        statements.clear()
        for request in _requests(args.workload, seed, 1, rng, start=args.requests + 50):
            print(send(*request).status_code)
        print("\n".join(" ".join(statement.split())[:140] for statement in statements))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())

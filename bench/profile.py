"""Where a payment's time goes: one workload in-process under pyinstrument, on PostgreSQL.

    .venv/bin/python -m bench.profile [--workload p2p|qr|charge|history] [--requests 500] [--html out.html]
                                      [--cpu-only] [--show-sql]

Recreates the wallet_profile database (--database), seeds 200 users and 5 merchants with bench.seed, then
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
            other = users[(users.index(user) + rng.randrange(1, len(users))) % len(users)]  # never the sender
            yield "POST", "/api/v1/transfers", {"to": other["wallet"], "amount": 100, "currency": seed["currency"]}, headers


def _count_statements(app) -> tuple[list, list]:
    """Every statement sent to PostgreSQL, and every round trip (statements, plus the BEGIN psycopg
    sends before a transaction's first one and the COMMIT or ROLLBACK that ends it; none of these
    in autocommit): figures that, unlike time, do not vary between runs."""
    from psycopg.pq import TransactionStatus
    from sqlalchemy import event

    from app.extensions import db
    sent: list = []
    trips: list = []

    def in_transaction(dbapi) -> bool:
        return not dbapi.autocommit and dbapi.info.transaction_status != TransactionStatus.IDLE

    def executing(connection, _cursor, statement, *_):
        dbapi = connection.connection.dbapi_connection
        if not dbapi.autocommit and not in_transaction(dbapi):
            trips.append("BEGIN")
        sent.append(statement)
        trips.append(statement)

    def ending(connection, *_):
        if in_transaction(connection.connection.dbapi_connection):
            trips.append("COMMIT/ROLLBACK")

    def resetting(dbapi, *_):  # the pool's rollback when a connection is checked in
        if in_transaction(dbapi):
            trips.append("ROLLBACK (pool)")

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", executing)
        event.listen(db.engine, "commit", ending)
        event.listen(db.engine, "rollback", ending)
        event.listen(db.engine.pool, "reset", resetting)
    return sent, trips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--workload", choices=("p2p", "qr", "charge", "history"), default="p2p")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--show-sql", action="store_true", help="print the round trips of one more request")
    parser.add_argument("--cpu-only", action="store_true", help="no profiler: the app's CPU time per request as is")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="wallet_profile", help="recreated for the run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    database_url = environment.recreate_database(args.pg, args.database)
    env = environment.app_env(database_url, args.redis_url, token_ttl=3600)
    environment.migrate(env)
    environment.lift_limits(database_url)
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
    statements, trips = _count_statements(app)
    rng = random.Random(1)
    def send(method, path, body, headers):
        if isinstance(body, bytes):  # signed as sent: the exact bytes
            return client.open(path, method=method, data=body, headers=headers)
        return client.open(path, method=method, json=body, headers=headers)

    for request in _requests(args.workload, seed, 50, rng):  # warm up
        send(*request)
    statements.clear()
    trips.clear()
    profiler = Profiler(interval=0.0005)
    statuses: dict[int, int] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    if not args.cpu_only:
        profiler.start()
    for request in _requests(args.workload, seed, args.requests, rng, start=50):
        status = send(*request).status_code
        statuses[status] = statuses.get(status, 0) + 1
    if not args.cpu_only:
        profiler.stop()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if not args.cpu_only:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.requests} {args.workload} requests in {elapsed:.2f} s: {elapsed / args.requests * 1000:.2f} ms "
          f"each (one thread, in-process), app CPU {cpu / args.requests * 1000:.2f} ms each"
          f"{'' if args.cpu_only else ' (under the profiler: run with --cpu-only for the figure)'}; "
          f"statuses {statuses}; {len(statements) / args.requests:.1f} SQL statements and "
          f"{len(trips) / args.requests:.1f} round trips per request")
    if args.show_sql:
        trips.clear()
        for request in _requests(args.workload, seed, 1, rng, start=args.requests + 50):
            print(send(*request).status_code)
        print("\n".join(" ".join(statement.split())[:140] for statement in trips))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())

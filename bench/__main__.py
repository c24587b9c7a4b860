"""python -m bench: payments per second through the API, against pgbench on the same machine.

    .venv/bin/python -m bench [--seconds N] [--clients C] [--users U] [--merchants M]
                              [--workloads p2p,qr_spread,qr_hot,history,pos_charge] [--quick]
                              [--at-load 0.7 [--open-connections N]]

Drops and recreates the wallet_bench database, flushes Redis db 9, seeds, runs pgbench, starts
gunicorn, the webhook worker and a webhook receiver, drives each workload over HTTP, lets the
worker drain, stops them, runs `flask ledger verify`, prints a table and writes
bench/results/<UTC time>.json. Exit status 1 if the ledger does not verify.
"""
from __future__ import annotations

import argparse
import json
import math
import secrets
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cpu, environment, load, openloop, pgbench, report, statements
from bench.servers import Server
from bench.webhooks import Webhooks

COUNTS = "sql_counts"  # under the run's temporary directory: the servers' statement counts
QUICK = {"users": 100, "merchants": 5, "seconds": 3, "clients": 8, "warmup": 1}
DEFAULTS = {"users": 1000, "merchants": 50, "seconds": 30, "clients": 16, "warmup": 3}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, help="measured seconds per workload (and for pgbench); default 30")
    parser.add_argument("--warmup", type=int, help="unmeasured seconds before each workload; default 3")
    parser.add_argument("--clients", type=int, help="concurrent connections (wrk -c, pgbench -c); default 16")
    parser.add_argument("--users", type=int, help="signed-in users with a funded wallet; default 1000")
    parser.add_argument("--merchants", type=int, help="merchants with one static QR code each; default 50")
    parser.add_argument("--workloads", default=",".join(load.WORKLOADS), help="comma-separated subset, in order")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 users, 5 merchants, 3 s, 8 clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--server", choices=("gunicorn", "granian", "rsgi"), default="gunicorn",
                        help="gunicorn gthread, granian's WSGI interface (Rust HTTP, WSGI on blocking threads), "
                             "or rsgi: production's granian RSGI with app.core.rsgi_bridge")
    parser.add_argument("--balance", type=int, default=5_000_000, help="each user's opening balance, minor units")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="wallet_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--code-period", type=int, default=5,
                        help="PAYMENT_CODE_PERIOD for the servers, seconds (production: 30); see --pos-rate")
    parser.add_argument("--pos-rate", type=int, default=400,
                        help="pos_charge: charges/s the seeded devices can supply (devices = rate x period)")
    parser.add_argument("--drain", type=int, default=30, help="seconds to let the webhook worker catch up at the end")
    parser.add_argument("--webhook-batch", type=int, help="flask webhooks work --batch (default: WEBHOOK_BATCH, 10)")
    parser.add_argument("--at-load", type=float, metavar="SHARE", help="then open-loop at SHARE of each peak (bench.openloop)")
    parser.add_argument("--open-connections", type=int, help="connections of the open-loop run (default: 2 x --clients)")
    args = parser.parse_args(argv)
    for name, default in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else default)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in load.WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(load.WORKLOADS)}")
    if args.at_load is not None and not 0 < args.at_load <= 1:
        parser.error("--at-load is a share of the peak rate: above 0, at most 1")
    args.open_connections = args.open_connections or 2 * args.clients
    if args.users < 2 or args.merchants < 1:
        parser.error("need at least 2 users and 1 merchant")
    if args.loadgen == "auto":
        args.loadgen = "wrk" if load.wrk_path() else "python"
    elif args.loadgen == "wrk" and not load.wrk_path():
        parser.error("wrk is not installed (apt-get install wrk), or use --loadgen python")
    return args


def say(message: str) -> None:
    print(f"[bench {datetime.now(UTC).strftime('%H:%M:%S')}] {message}", flush=True)


def run_pgbench(args, meter_url: str) -> dict | None:
    if args.no_pgbench or not pgbench.available():
        say("pgbench skipped" + ("" if args.no_pgbench else ": not installed"))
        return None
    name = f"{args.database}_pgbench"
    say(f"pgbench -i -s {args.pgbench_scale} into {name}, then -c {args.clients} -T {args.seconds} tpcb-like")
    pgbench.initialise(args.pg, name, scale=args.pgbench_scale)
    figures = cpu.metered(meter_url, name, lambda sample: pgbench.run(args.pg, name, clients=args.clients,
                                                                       seconds=args.seconds, sample=sample),
                          statements.PGBENCH["tpcb"])
    say(f"pgbench: {figures['tps']:.1f} TPS")
    return figures


def run_posting_yardstick(args, database_url: str, seed: dict) -> dict | None:
    """pgbench calling wallet_transfer directly: the database's limit for our own posting."""
    if args.no_pgbench or not pgbench.available() or "p2p" not in args.workloads:
        return None
    say(f"pgbench -f wallet_transfer: -c {args.clients} -T {args.seconds} on {args.database}")
    figures = cpu.metered(environment.admin_url(args.pg), args.database, lambda sample: pgbench.run_posting(
        environment.with_database(args.pg, args.database), seed["users"], seed["currency"], clients=args.clients,
        seconds=args.seconds, sample=sample), statements.PGBENCH["posting"])
    say(f"wallet_transfer called by pgbench: {figures['tps']:.1f} TPS")
    return figures


def run_workload(args, server: Server, hooks: Webhooks, meter: cpu.CpuMeter, workload: str, data_dir: Path,
                 seed: dict, book, pg_tps: float | None) -> dict:
    run_id = secrets.token_hex(4)
    common = {"clients": args.clients, "currency": seed["currency"], "generator": args.loadgen, "book": book}
    # Write out the dirty pages that pgbench or the previous workload left, so that a checkpoint
    # does not land inside this workload's window (seen once: qr_spread at 95/s with idle CPU).
    environment.checkpoint(args.pg)
    if args.warmup:
        load.run(server.url, workload, data_dir, seconds=args.warmup, run_id=run_id + "w", **common)
    counted = statements.settled(data_dir / COUNTS)
    before, hooks_before = meter.snapshot(server.pids() + hooks.pids(), hooks.pids()), hooks.stats()
    figures = load.run(server.url, workload, data_dir, seconds=args.seconds, run_id=run_id, **common)
    row = {"workload": workload, "money": workload in load.MONEY, **figures, **load.rates(figures),
           "cpu": cpu.split(before, meter.snapshot(server.pids() + hooks.pids(), hooks.pids()))}
    row["per_payment"] = (statements.cpu_ms_per(row["cpu"], figures["ok"])
                          | statements.per_request(counted, statements.settled(data_dir / COUNTS)))
    delivered = hooks.stats()["deliveries"] - hooks_before["deliveries"]
    row["webhooks"] = {"delivered": delivered, "per_second": round(delivered / row["cpu"]["wall_seconds"], 1),
                       "backlog_after": hooks.outbox()["due"]}
    row["ratio_to_pgbench"] = round(row["ok_per_second"] / pg_tps, 3) if pg_tps else None
    say(f"{workload}: {row['ok_per_second']} ok/s, p99 {row['p99_ms']} ms, errors {row['error_rate']:.2%}, "
        f"webhooks {row['webhooks']['per_second']}/s (backlog {row['webhooks']['backlog_after']})"
        + (f" (first: {row['error_sample'][:160]})" if row.get("error_sample") else "")
        + (f" (first 402: {row['sample_402'][:160]})" if row.get("sample_402") else ""))
    if row.get("pos_waits") or row.get("starved"):
        say(f"{workload}: the code supply ran out {row.get('pos_waits', 0)} times (waited for the next period; "
            f"{row.get('starved', 0)} probes sent instead): the figure is a floor, raise --pos-rate")
    if args.at_load and row["ok_per_second"] > 0:  # the same workload open-loop below its peak
        environment.checkpoint(args.pg)
        row["at_load"] = openloop.run_fixed_rate(
            server.url, workload, data_dir, rate=args.at_load * row["ok_per_second"], seconds=args.seconds,
            connections=args.open_connections, run_id=run_id + "o", currency=seed["currency"], book=book)
        say(openloop.summary(workload, args.at_load, row["ok_per_second"], row["at_load"]))
    hooks.check()
    return row


def seed_world(args, env: dict, data_dir: Path, hooks: Webhooks):
    """Seed, write the load generator's files; the seed and, for pos_charge, its CodeBook."""
    from bench.pos import CodeBook  # imports app modules (the signing and TOTP code), so only here

    devices = math.ceil(args.pos_rate * args.code_period) if "pos_charge" in args.workloads else 0
    t0 = time.monotonic()
    environment.seed(env, users=args.users, merchants=args.merchants, balance=args.balance, devices=devices,
                     webhook_url=hooks.base_url, out=data_dir / "seed.json")
    seed = json.loads((data_dir / "seed.json").read_text())
    load.write_data(seed, data_dir)
    say(f"seeded in {time.monotonic() - t0:.1f} s: {args.users} users, {args.merchants} merchants with a terminal "
        f"and a webhook endpoint each" + (f", {len(seed['payment_codes']['devices'])} payment-code devices" if devices
                                           else ""))
    if not devices:
        return seed, None
    book = CodeBook(seed)
    capped = seed["payment_codes"]["capped_at"]
    say(f"pos_charge: PAYMENT_CODE_PERIOD={book.period} s for this run (production 30 s), so the devices supply "
        f"{book.supply_per_second():.0f} codes/s" + (f" (capped by the app's {capped // args.users} devices per user; "
                                                     "more --users for more)" if capped else ""))
    return seed, book


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    say(f"{args.users} users, {args.merchants} merchants, {args.clients} clients, {args.seconds} s per workload "
        f"(+{args.warmup} s warm-up), {args.server} {args.workers}x{args.threads}, load from {args.loadgen}; "
        "rate limiting OFF (RATELIMIT_ENABLED=false)")
    database_url = f"{args.pg.rstrip('/')}/{args.database}"
    env = environment.app_env(database_url, args.redis_url, token_ttl=12 * 3600, code_period=args.code_period)
    server = hooks = None
    rows: list[dict] = []
    webhooks: dict = {}
    with tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp:
        data_dir = Path(tmp)
        try:
            say(f"recreating {args.database}, alembic upgrade, flushing {args.redis_url}")
            environment.recreate_database(args.pg, args.database)
            environment.migrate(env)
            environment.lift_limits(env["DATABASE_URL"])
            environment.flush_redis(args.redis_url)
            # Made before seeding: the endpoints the seed registers point at its receiver's port.
            hooks = Webhooks(env, data_dir, database_url, batch=args.webhook_batch)
            seed, book = seed_world(args, env, data_dir, hooks)
            pg = run_pgbench(args, environment.admin_url(args.pg))
            posting = run_posting_yardstick(args, database_url, seed)

            server = Server(env | {"SQL_COUNTS_DIR": str(data_dir / COUNTS)}, workers=args.workers, threads=args.threads, log_path=data_dir / "server.log",
                            kind=args.server)
            server.start()
            hooks.start(seed)
            say(f"{args.server} ready on {server.url} (pids {server.pids()}), webhook worker pid {hooks.pids()}")
            meter = cpu.CpuMeter(environment.admin_url(args.pg), args.database)
            try:
                for workload in args.workloads:
                    rows.append(run_workload(args, server, hooks, meter, workload, data_dir, seed, book,
                                             pg and pg["tps"]))
            finally:
                meter.close()
            webhooks["drained_in_seconds"] = hooks.drain(args.drain)
            webhooks.update(receiver=hooks.stats(), outbox=hooks.outbox())
        except BaseException:
            for name, tail in (("gunicorn", server and server.log_tail()),
                               ("webhook worker", hooks and hooks.log_tail())):
                if tail:
                    print(f"--- {name} log (tail) ---\n{tail}", file=sys.stderr)
            raise
        finally:
            if hooks is not None:
                hooks.stop()
            if server is not None:
                server.stop()
                say("gunicorn and the webhook worker stopped")

    say("flask ledger verify")
    verify = environment.ledger_verify(env)
    result = {"started_at": started.isoformat(), "machine": report.machine(
                  environment.server_version(args.pg), load.wrk_version() if args.loadgen == "wrk" else "python"),
              "parameters": {k: v for k, v in vars(args).items() if k not in ("pg",)} | {
                  "rate_limiting": False, "gunicorn": server.command()[1:] if server else None},
              "pgbench": pg, "posting_function": posting, "workloads": rows, "webhooks": webhooks, "ledger_verify": verify}
    path = report.write(result, started)
    print()
    print(report.table(rows, pg, posting))
    print()
    print(report.costs(rows, pg, posting))
    if args.at_load:
        print()
        print(report.at_load(rows, args.at_load))
    print(report.NOTES.format(ncpu=result["machine"]["nproc"], period=args.code_period))
    print(report.webhooks_line(webhooks))
    print(f"{verify['summary']}" + ("" if verify["ok"] else f" {verify['problems']}"))
    print(f"results: {path.relative_to(environment.ROOT)}")
    return 0 if verify["ok"] else 1


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    # Ctrl-C and kill (TERM) both unwind through the finally blocks that stop gunicorn; SIGINT is
    # set explicitly because a shell's background job starts with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)

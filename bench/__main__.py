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

import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import cpu, environment, load, report
from bench.args import parse_args
from bench.servers import Server
from bench.steps import COUNTS, run_pgbench, run_posting_yardstick, run_workload, say, seed_world
from bench.webhooks import Webhooks


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

"""python -m bench's command line: the options, their defaults (and --quick's), and the checks
on their combinations (bench/__main__.py runs with what this answers)."""
from __future__ import annotations

import argparse

from bench import load

DESCRIPTION = "python -m bench: payments per second through the API, against pgbench on the same machine."
QUICK = {"users": 100, "merchants": 5, "seconds": 3, "clients": 8, "warmup": 1}
DEFAULTS = {"users": 1000, "merchants": 50, "seconds": 30, "clients": 16, "warmup": 3}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION)
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
    parser.add_argument("--webhook-batch", type=int, help="flask webhooks work --batch (default: WEBHOOK_BATCH, 50)")
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

"""The steps of one `python -m bench` run, in the order bench/__main__.py takes them: seed the
world, the pgbench yardsticks (TPC-B-like, and our own posting function called by pgbench), then
each workload over HTTP, metered (CPU, statements, webhooks), and optionally open-loop below its
peak. Each step prints a line as it ends (say)."""
from __future__ import annotations

import json
import math
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cpu, environment, load, openloop, pgbench, statements
from bench.servers import Server
from bench.webhooks import Webhooks

COUNTS = "sql_counts"  # under the run's temporary directory: the servers' statement counts


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

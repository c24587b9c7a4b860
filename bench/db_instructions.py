"""PostgreSQL instructions per payment: the database's own CPU cost of one payment call, counted.

    .venv/bin/python -m bench.db_instructions --workload p2p|qr|charge [--calls 200] [--warm 50]
        [--app-root DIR] [--sql FILE ...] [--keep DIR]

Timings on a shared 2-core machine move by tens of per cent; an instruction count inside the
backend does not. This builds a private PostgreSQL 15 cluster (initdb under a temporary folder,
its own socket, no TCP), migrates it with the app's migrations and seeds it with bench.seed (300
users, 2 merchants with a static code, a terminal and a webhook endpoint each, a payment-code
device per user), posts 3,000 transfers between the users and runs VACUUM ANALYZE (so that the
plans are those of a database with some history and current statistics). It then stops the server and runs a single-user backend (`postgres --single`,
one process) under `valgrind --tool=callgrind` twice, each on a fresh copy of the seeded data:
once with --warm payment calls, once with --warm + --calls. The difference of the two
instruction totals divided by --calls is one call's cost: start-up, the relation caches' first
loads, plan caching and the shutdown cancel out.

Each call is the statement the app sends (app.wallet.services._TRANSFER,
app.checkout.qr_payments.services._QR_PAY, app.pos.charges.services._POS_CHARGE, each wrapped by
carrying_request_id as ledger.call_payment and pay_by_code do), PREPAREd once and EXECUTEd with
each call's values: psycopg prepares a statement on its fifth use, so that is the app's steady
state. A single-user backend runs each line as its own transaction, as the app's autocommit
call is, so the commit (WAL insert and flush) is counted; the flush's wait is the kernel's, not
counted. What differs from a server backend: no network protocol (the EXECUTE line is parsed
instead of a Bind message) and results printed to stdout instead of sent; no background
writer, so the exit's checkpoint is counted (spread over the calls).

--sql runs a file of SQL in the seeded database before the runs: a change of the functions or
indexes measured before it becomes a migration. --app-root runs the migrations and the seed from another checkout (e.g. `git worktree add
/tmp/before 5c4592a`) to measure its SQL; the statements are always this checkout's, so the
two must share the functions' signatures. Nothing here is timed against a limit: the figures
go to the README's Performance section.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import environment

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "wallet"
USERS, MERCHANTS = 300, 2
HISTORY = 3000  # p2p transfers before the runs (_history)
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: the cluster is the postgres user's then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"[-4000:])
    return result


def _build(folder: Path, app_root: Path, redis_url: str, sql_files: list[str]) -> dict:
    """initdb, start, migrate, seed, run `sql_files`, stop; returns the seed plus the devices."""
    data = folder / "data"
    _run(_as_postgres() + [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    _run(_as_postgres() + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "server.log"),
                           "-o", f"-c listen_addresses='' -k {folder}", "start"])
    try:
        url = environment.recreate_database(f"postgresql://postgres@/postgres?host={folder}", DATABASE)
        env = environment.app_env(url, redis_url, token_ttl=3600)
        env["PYTHONPATH"] = str(app_root)
        if redis_url:
            environment.flush_redis(redis_url)
        else:  # the app's database-backed store, in the scratch database (what the test uses)
            env.pop("REDIS_URL")
        _run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=app_root, env=env)
        environment.lift_limits(url)
        out = folder / "seed.json"
        # A webhook endpoint per merchant, as in the bench: a payment's event writes its delivery.
        _run([sys.executable, "-m", "bench.seed", "--users", str(USERS), "--merchants", str(MERCHANTS),
              "--balance", "1000000000", "--devices", str(USERS), "--webhook-url", "http://127.0.0.1:9/hooks/",
              "--out", str(out)], cwd=app_root, env=env)
        seed = json.loads(out.read_text())
        import psycopg
        with psycopg.connect(url, autocommit=True) as conn:
            seed["device_ids"] = [row[0] for row in conn.execute("SELECT id FROM devices ORDER BY id")]
            seed["currency"] = seed.get("currency") or conn.execute("SELECT currency FROM accounts LIMIT 1").fetchone()[0]
            for sql in sql_files:  # a change tried before it becomes a migration
                conn.execute(Path(sql).read_text())
            _history(conn, seed)
    finally:
        _run(_as_postgres() + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"])
    return seed


def _history(conn, seed: dict) -> None:
    """HISTORY transfers between the seeded users, then VACUUM ANALYZE, as autovacuum would: the
    plans each call keeps (its own and the foreign keys' checks) are then made for tables of some
    size with current statistics. On a seed of a few rows the planner picks sequential scans,
    which grow slower with every call measured: not what a server with any history runs."""
    users, now = seed["users"], datetime(2025, 12, 31, tzinfo=timezone.utc)
    from app.core.ids import new_id
    for i in range(HISTORY):
        payer, payee = users[i % len(users)], users[(i + 1 + i // len(users)) % len(users)]
        if payee is payer:
            payee = users[(i + 1) % len(users)]
        conn.execute("SELECT status FROM wallet_transfer(%s, %s, %s, interval '48 hours', %s, %s, %s, NULL, NULL, "
                     "100, NULL, NULL, %s, %s, %s, %s)",
                     (payer["id"], f"history-{i}", f"{i:064x}", payer["id"], seed["currency"], payee["wallet"], now,
                      now.isoformat(), new_id("txn"), new_id("trf")))
    conn.execute("VACUUM ANALYZE")


def _statement(workload: str) -> str:
    from app.core.request_ids import carrying_request_id
    if workload == "p2p":
        from app.wallet.services import _TRANSFER as statement
    elif workload == "qr":
        from app.checkout.qr_payments.services import _QR_PAY as statement
    else:
        from app.pos.charges.services import _POS_CHARGE as statement
    return carrying_request_id(statement).text


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, timedelta):
        value = f"{int(value.total_seconds())} seconds"
    elif isinstance(value, datetime):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def _params(workload: str, seed: dict, i: int, now: datetime) -> dict:
    """Call i's values, as the service computes them (ids and keys made up, unique per call)."""
    from app.core.ids import new_id
    users, merchant = seed["users"], seed["merchants"][i % len(seed["merchants"])]
    payer = users[i % len(users)]
    common = {"key": f"dbinstr-{i}", "fingerprint": f"{i:064x}", "ttl": timedelta(hours=48), "now": now,
              "now_iso": now.isoformat(), "transaction_id": new_id("txn"), "transfer_id": new_id("trf"),
              "http_request_id": f"req-dbinstr-{i:08d}"}
    if workload == "p2p":
        payee = users[(i + 1 + i // len(users)) % len(users)]
        if payee is payer:
            payee = users[(i + 1) % len(users)]
        return {**common, "scope": payer["id"], "user_id": payer["id"], "currency": seed["currency"],
                "to_wallet": payee["wallet"], "to_phone": None, "to_email": None, "amount": 100, "note": None,
                "cap": 10 ** 13}
    if workload == "qr":
        return {**common, "scope": payer["id"], "user_id": payer["id"], "wallet_id": payer["wallet"],
                "qr_id": merchant["qr_id"], "merchant_id": merchant["id"], "payload": merchant["payload"],
                "amount": 100, "event_id": new_id("msg"), "hold_expires_at": now + timedelta(minutes=10),
                "order_link": None, "order_event_id": new_id("msg")}
    devices = seed["device_ids"]
    expires = now + timedelta(minutes=5)
    return {**common, "scope": merchant["terminal"]["id"], "terminal_id": merchant["terminal"]["id"],
            "merchant_id": merchant["id"], "device_id": devices[i % len(devices)], "step": 10_000 + i, "slot": 0,
            "code_refusal": None, "pin_locked": False, "amount": 100, "currency": seed["currency"],
            "reference": f"order {i}", "confirm_above": 10 ** 9, "expires_at": expires,
            "expires_iso": expires.isoformat(), "messages": json.dumps({"insufficient_funds": "not enough money"}),
            "charge_id": new_id("chg"), "event_id": new_id("msg")}


def _script(workload: str, seed: dict, calls: int) -> list[str]:
    """PREPARE once, then one EXECUTE line per call (a line is a transaction in single-user mode)."""
    source = _statement(workload)
    names: list[str] = []
    for name in _PARAM.findall(source):
        if name not in names:
            names.append(name)
    prepared = _PARAM.sub(lambda m: f"${names.index(m.group(1)) + 1}", source)
    lines = [f"PREPARE pay AS {prepared}"]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(calls):
        params = _params(workload, seed, i, start + timedelta(milliseconds=i))
        lines.append("EXECUTE pay(" + ", ".join(_literal(params[name]) for name in names) + ")")
    return lines


def _count(folder: Path, lines: list[str], label: str) -> int:
    """One single-user backend on a fresh copy of the seeded data, under callgrind."""
    run = folder / f"run-{label}"
    shutil.rmtree(run, ignore_errors=True)
    _run(["cp", "-a", str(folder / "data"), str(run)])
    out = folder / f"callgrind-{label}.out"
    result = subprocess.run(
        _as_postgres() + ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(PG_BIN / "postgres"),
                          "--single", "-D", str(run), DATABASE],
        input="\n".join(lines) + "\n", capture_output=True, text=True)
    shutil.rmtree(run, ignore_errors=True)
    found = re.search(r"Collected : (\d+)", result.stderr)
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    if result.returncode != 0 or found is None or errors:
        raise RuntimeError(f"single-user run failed ({result.returncode}):\n{result.stderr[-3000:]}")
    statuses: dict[str, int] = {}
    for status in re.findall(r'status = "(\d+)"', result.stdout):
        statuses[status] = statuses.get(status, 0) + 1
    print(f"  {len(lines) - 1} calls: {int(found.group(1)):,} instructions; statuses {statuses}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.db_instructions")
    parser.add_argument("--workload", choices=("p2p", "qr", "charge"), default="p2p")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warm", type=int, default=50, help="warm-up calls in both runs")
    parser.add_argument("--app-root", default=str(environment.ROOT), help="checkout whose migrations build the schema")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7", help="flushed, for the seed's sessions; '' for the database-backed store")
    parser.add_argument("--sql", action="append", default=[], help="SQL file run after the seed (to try a change)")
    parser.add_argument("--keep", help="build the cluster here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="wallet-dbinstr-"))
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    try:
        seed = _build(folder, Path(args.app_root).resolve(), args.redis_url, args.sql)
        script = _script(args.workload, seed, args.warm + args.calls)
        base = _count(folder, script[:1 + args.warm], "warm")
        more = _count(folder, script, "all")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.workload}: {(more - base) / args.calls:,.0f} instructions per call "
          f"(PostgreSQL backend, callgrind, {args.calls} calls after {args.warm})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

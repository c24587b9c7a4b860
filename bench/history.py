"""python -m bench.history: reading one very long history on PostgreSQL.

    .venv/bin/python -m bench.history [--rows 1000000] [--repeat 30] [--export-rows 100000]

Recreates the wallet_bench_history database with the migrations, fills ONE wallet with --rows
transactions in a few bulk INSERT ... SELECT generate_series statements (a transaction, its
posted transfer and the wallet's entry per row, with increasing seq, a running balance_after
computed by a window function and the searched text as ledger_move writes it; the account's
totals are set to match), then measures in-process
through the Flask test client, as a signed-in user:

- the time to fetch filtered pages of 50 (p50/p95 over --repeat runs per query);
- the time and the Python peak memory (tracemalloc) of CSV exports streamed to /dev/null, of
  --export-rows rows and of a tenth as many: constant memory means the two peaks are alike.

The fill skips the ledger's hash chain (prev_hash and hash are zeros) and the other side's
entries, so `flask ledger verify` would fail on this database: this is a read benchmark, and
the rows only have to look like history to the queries. Rows are 10,000 a day from 2025-01-01,
a tenth of them top-ups, half payments to one merchant, the rest transfers in and out.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta

from bench import environment

PER_DAY = 10_000
FIRST_DAY = date(2025, 1, 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each page query")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="wallet_bench_history")
    return parser.parse_args(argv)


def prepare(args) -> None:
    """A fresh database, migrated by Alembic, and this process configured to use it."""
    url = environment.recreate_database(args.pg, args.database)
    env = environment.app_env(url, "", token_ttl=24 * 3600)
    env.pop("REDIS_URL")  # history needs no Redis; the database store stands in
    environment.migrate(env)
    environment.lift_limits(url)
    os.environ.update(env)


def people(app) -> dict:
    """Alice (whose wallet gets the history), Bob (the other side of transfers), a merchant."""
    from app.auth.services.sessions import open_session
    from app.cli_seed import create_user
    from app.core.uow import unit_of_work
    from app.extensions import db
    from app.merchant.services import create_merchant, merchant_account
    from app.wallet import ledger
    from app.wallet.models import Account
    with app.app_context():
        alice = create_user(email="alice@bench.test", password="bench-Password-1", name="Alice Bench")
        bob = create_user(email="bob@bench.test", password="bench-Password-1", name="Bob Bench")
        merchant = create_merchant(name="Kopi Corner", city="Singapore", country="SG", mcc="5814",
                                   currency="USD", owner="bob@bench.test")
        with unit_of_work() as uow:
            float_id = ledger.system_account(ledger.TOPUP_FLOAT, "USD").id
            token = open_session(alice, "bench", "127.0.0.1")["access_token"]
            uow.commit()
        wallet = lambda user_id: db.session.query(Account.id).filter_by(user_id=user_id).scalar()
        return {"wallet": wallet(alice.id), "bob": wallet(bob.id), "float": float_id, "token": token,
                "merchant": merchant_account(merchant["id"], "USD").id}


# Per row g (1..N): k = g % 10 picks the kind; amounts in minor units, signed from Alice's side.
ROWS = """
SELECT g,
       'txn_b' || lpad(g::text, 12, '0') AS txn_id,
       'trf_b' || lpad(g::text, 12, '0') AS trf_id,
       CASE WHEN g %% 10 = 1 THEN 'topup' WHEN g %% 10 IN (2, 4, 6, 8, 0) THEN 'payment' ELSE 'transfer' END AS type,
       CASE WHEN g %% 10 = 1 THEN 5000 WHEN g %% 10 IN (2, 4, 6, 8, 0) THEN -(100 + g %% 400)
            WHEN g %% 10 IN (3, 7) THEN -(50 + g %% 300) ELSE 200 + g %% 300 END AS signed,
       CASE WHEN g %% 10 = 1 THEN %(float)s WHEN g %% 10 IN (2, 4, 6, 8, 0) THEN %(merchant)s ELSE %(bob)s END AS other,
       CASE WHEN g %% 10 IN (2, 4, 6, 8, 0) THEN 'INV-' || g ELSE NULL END AS reference,
       CASE WHEN g %% 10 IN (3, 7, 5, 9) THEN 'note ' || (g %% 1000) ELSE NULL END AS note,
       timestamptz '{first}' + (g - 1) * interval '{step} seconds' AS at
FROM generate_series(1, %(rows)s) AS g
"""


def fill(rows: int, ids: dict) -> float:
    """Bulk rows for one wallet; returns the seconds it took."""
    import psycopg
    started = time.monotonic()
    source = ROWS.format(first=FIRST_DAY.isoformat() + " 00:00:00+00", step=86_400 / PER_DAY)
    params = ids | {"rows": rows}
    zeros = "repeat('0', 64)"
    with psycopg.connect(os.environ["DATABASE_URL"].replace("+psycopg", "")) as conn:
        # Foreign-key triggers off for the bulk load (superuser only): the rows are made consistent
        # by construction, and checking 3 x N references would double the fill time.
        conn.execute("SET session_replication_role = replica")
        conn.execute(f"""
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      initiator_id, reference, note, created_at)
            SELECT txn_id, type, 'succeeded', abs(signed), 'USD',
                   CASE WHEN signed < 0 THEN %(wallet)s ELSE other END,
                   CASE WHEN signed < 0 THEN other ELSE %(wallet)s END, NULL, reference, note, at
            FROM ({source}) AS r""", params)
        conn.execute(f"""
            INSERT INTO transfers (id, transaction_id, kind, debit_account_id, credit_account_id, amount, currency,
                                   created_at, hash)
            SELECT trf_id, txn_id, 'posted', CASE WHEN signed < 0 THEN %(wallet)s ELSE other END,
                   CASE WHEN signed < 0 THEN other ELSE %(wallet)s END, abs(signed), 'USD', at, {zeros}
            FROM ({source}) AS r""", params)
        conn.execute(f"""
            INSERT INTO entries (account_id, seq, transfer_id, transaction_id, amount, balance_after, prev_hash,
                                 created_at, search)
            SELECT %(wallet)s, g, trf_id, txn_id, signed, sum(signed) OVER (ORDER BY g), {zeros}, at,
                   entry_search_text(reference, note)
            FROM ({source}) AS r""", params)
        conn.execute("""
            UPDATE accounts SET entry_count = s.n, credits_posted = s.credits, debits_posted = s.debits
            FROM (SELECT count(*) AS n, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS credits,
                         coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS debits
                  FROM entries WHERE account_id = %(wallet)s) AS s
            WHERE accounts.id = %(wallet)s""", params)
        conn.commit()
        # VACUUM too, as autovacuum would have by the time a history is this long: it sets the
        # visibility map, without which no index-only scan skips the table (migration 0027's
        # covering indexes would read the heap for every row). It cannot run in a transaction.
        conn.autocommit = True
        conn.execute("SET session_replication_role = origin")
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def timed_pages(client, path: str, params: dict, headers: dict, repeat: int) -> dict:
    times, count = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, query_string=params, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
        count = len(response.json["data"])
    times.sort()
    return {"rows": count, "p50": statistics.median(times), "p95": times[max(0, int(len(times) * 0.95) - 1)]}


def timed_export(client, path: str, headers: dict, *, trace: bool) -> dict:
    """Stream the CSV to /dev/null chunk by chunk; with `trace`, the tracemalloc peak."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    lines = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.response:
            chunk = chunk.encode() if isinstance(chunk, str) else chunk
            lines += chunk.count(b"\n")
            sink.write(chunk)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    return {"rows": lines - 1, "seconds": seconds, "peak_mib": peak / 2 ** 20 if peak is not None else None}


def day(n: int) -> str:
    return (FIRST_DAY + timedelta(days=n)).isoformat()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare(args)
    from app import create_app
    app = create_app()
    app.config["REQUEST_LOG"] = False  # a JSON line per request would bury the table
    ids = people(app)
    fill_seconds = fill(args.rows, ids)
    print(f"filled one wallet with {args.rows:,} transactions in {fill_seconds:.1f} s")

    client, headers = app.test_client(), {"Authorization": f"Bearer {ids['token']}"}
    base = f"/api/v1/wallets/{ids['wallet']}/transactions"
    last_day = (args.rows - 1) // PER_DAY
    mid = last_day // 2
    one_payment = args.rows // 2 - (args.rows // 2) % 10  # g % 10 == 0: a payment, INV-<g> is unique
    queries = {
        "no filter": {},
        "type=payment": {"type": "payment"},
        "type=payment, q=INV-1": {"type": "payment", "q": "INV-1"},
        f"type=payment, from=to=day {mid}": {"type": "payment", "from": day(mid), "to": day(mid)},
        f"type=payment, q=INV-{one_payment // 1000}, from/to 30 days mid-history": {
            "type": "payment", "q": f"INV-{one_payment // 1000}", "from": day(max(0, mid - 15)),
            "to": day(mid + 15)},
        "q=note 42 from the middle (cursor)": {"q": "note 42", "cursor": _cursor(args.rows // 2)},
        "q matching one row": {"q": f"INV-{one_payment}"},
        "q=kopi (the merchant's name: half the rows)": {"q": "kopi"},
        "q=bob bench (the other person), from the middle": {"q": "bob bench", "cursor": _cursor(args.rows // 2)},
        "q matching nothing": {"q": "no such words"},
    }
    print(f"\nfiltered pages of 50 ({args.repeat} runs each, Flask test client, in-process):")
    print(f"  {'query':<52} {'rows':>5} {'p50 ms':>9} {'p95 ms':>9}")
    with app.app_context():
        for name, extra in queries.items():
            result = timed_pages(client, base, extra | {"limit": 50}, headers, args.repeat)
            print(f"  {name:<52} {result['rows']:>5} {result['p50']:>9.1f} {result['p95']:>9.1f}")

    print("\nCSV exports streamed to /dev/null (newest days by from/to):")
    print(f"  {'rows':>9} {'seconds':>9} {'rows/s':>9} {'peak MiB (tracemalloc)':>24}")
    csv_base = f"/api/v1/wallets/{ids['wallet']}/transactions.csv"
    for wanted in (args.export_rows // 10, args.export_rows):
        days = max(1, min(wanted, args.rows) // PER_DAY)
        path = f"{csv_base}?from={day(last_day - days + 1)}&to={day(last_day)}"
        fast = timed_export(client, path, headers, trace=False)
        traced = timed_export(client, path, headers, trace=True)
        print(f"  {fast['rows']:>9,} {fast['seconds']:>9.2f} {fast['rows'] / fast['seconds']:>9,.0f} "
              f"{traced['peak_mib']:>24.2f}")
    return 0


def _cursor(seq: int) -> str:
    from app.core.pagination import encode_cursor
    return encode_cursor(seq)


if __name__ == "__main__":
    sys.exit(main())

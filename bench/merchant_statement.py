"""python -m bench.merchant_statement: a busy merchant's monthly statement on PostgreSQL.

    .venv/bin/python -m bench.merchant_statement [--sales 100000] [--repeat 7]

Recreates the wallet_bench_statement database with the migrations, makes a merchant (1.5%, at
least 0.20, refunds give the fee back) and posts, through the real posting functions (ledger_post,
fee_merchant_charge, fee_refund: hash chains, credit buckets and sweeps as in production), oldest
first, a quarter of --sales the month before, --sales in the measured month (every 50th refunded
in part) and half as many for another merchant in the same month, in transactions of 1,000. Then,
as its owner through the Flask test client in this process: the statement's wall time (p50, max
over --repeat), the database's CPU for its one SQL statement (the backend's own counters), and
whether opening + net == closing == the merchant's balance.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import environment

CHUNK = 1000
# One posting function call per sale, as a payment function makes them: the sale, its fee, and
# every 50th a refund of 5.00 with the fee given back in proportion.
SALES = """
CREATE OR REPLACE FUNCTION bench_sales(p_merchant text, p_till text, p_source text, p_tag text, p_n int,
                                       p_from timestamptz, p_span interval, p_lo int, p_hi int)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz; txn text; posted record; amount bigint;
BEGIN
    FOR i IN p_lo .. p_hi LOOP
        t := p_from + p_span * i / (p_n + 1);
        txn := 'txn_' || p_tag || '_' || i;
        amount := 1000 + i % 500;
        INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id, created_at)
        VALUES (txn, 'payment', 'succeeded', amount, 'USD', p_source, p_till, t);
        SELECT * INTO posted FROM ledger_post('trf_' || txn, txn, 'posted', p_source, p_till, amount, 'USD',
                                              NULL, NULL, NULL, t);
        PERFORM fee_merchant_charge(txn, p_merchant, posted.credit_id, amount, 'USD', NULL, NULL, t);
        IF i % 50 = 0 THEN
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      related_id, created_at)
            VALUES (txn || 'r', 'refund', 'succeeded', 500, 'USD', p_till, p_source, txn, t);
            PERFORM fee_refund(txn || 'r', txn, p_merchant, p_till, p_source, 'USD', NULL, NULL, t, false);
            PERFORM ledger_post('trf_' || txn || 'r', txn || 'r', 'posted', p_till, p_source, 500, 'USD',
                                NULL, NULL, NULL, t);
        END IF;
    END LOOP;
END $$;
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.merchant_statement", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=100_000, help="sales in the measured month")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="wallet_bench_statement")
    return parser.parse_args(argv)


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def shops(app) -> dict:
    """Two merchants with their owners (the first one's signed in), and the account sales come from."""
    from app.auth.services.sessions import open_session
    from app.cli_seed import create_user
    from app.core.uow import unit_of_work
    from app.merchant.services import create_merchant, merchant_account
    from app.wallet import ledger
    with app.app_context():
        ids = {}
        for name in ("busy", "other"):
            owner = create_user(email=f"{name}@bench.test", password="bench-Password-1", name=f"Owner {name}")
            merchant = create_merchant(name=f"Shop {name}", city="Zürich", country="CH", mcc="5814", currency="USD",
                                       owner=f"{name}@bench.test")
            ids[name] = {"merchant": merchant["id"], "till": merchant_account(merchant["id"], "USD").id}
            if name == "busy":
                with unit_of_work() as uow:
                    ids["token"] = open_session(owner, "bench", "127.0.0.1")["access_token"]
                    ids["source"] = ledger.system_account(ledger.TOPUP_FLOAT, "USD").id  # may go negative
                    uow.commit()
        return ids


def fill(ids: dict, month: datetime, sales: int) -> float:
    import psycopg
    started = time.monotonic()
    before = month_start(month - timedelta(days=1))
    runs = [("busy", "b0", sales // 4, before, month - before), ("busy", "b1", sales, month, timedelta(days=28)),
            ("other", "o1", sales // 2, month, timedelta(days=28))]
    with psycopg.connect(os.environ["DATABASE_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("UPDATE merchants SET fee_rate_bps = 150, fee_min = 20, refund_returns_fee = true")
        conn.execute(SALES)
        for shop, tag, n, start, span in sorted(runs, key=lambda run: run[3]):  # oldest first
            for lo in range(1, n + 1, CHUNK):
                conn.execute("SELECT bench_sales(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                             (ids[shop]["merchant"], ids[shop]["till"], ids["source"], tag, n, start, span, lo,
                              min(lo + CHUNK - 1, n)))
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def backend_cpu_ms(month: str, ids: dict, repeat: int) -> list[float]:
    """The statement's one SQL statement, run on a connection whose backend's CPU we read."""
    import psycopg
    from app.history.merchant_statements import _STATEMENT
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = month_start(start + timedelta(days=32))
    sql = _STATEMENT.text.replace(":account", "%(account)s").replace(":start", "%(start)s").replace(
        ":end", "%(end)s").replace(":first_day", "%(first_day)s").replace(":last_day", "%(last_day)s")
    params = {"account": ids["busy"]["till"], "start": start, "end": end, "first_day": start.date(),
              "last_day": (end - timedelta(days=1)).date()}
    tick = os.sysconf("SC_CLK_TCK")
    with psycopg.connect(os.environ["DATABASE_URL"].replace("+psycopg", "")) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

        def cpu() -> float:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) * 1000 / tick
        samples = []
        for _ in range(repeat):
            before = cpu()
            conn.execute(sql, params).fetchall()
            samples.append(cpu() - before)
    return samples


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = environment.recreate_database(args.pg, args.database)
    env = environment.app_env(url, "", token_ttl=24 * 3600)
    env.pop("REDIS_URL")
    environment.migrate(env)
    os.environ.update(env)
    from app import create_app
    from app.wallet.ledger import balance_with_buckets
    app = create_app()
    app.config["REQUEST_LOG"] = False
    ids = shops(app)
    measured = month_start(month_start(datetime.now(UTC)) - timedelta(days=1))  # the last whole month
    seconds = fill(ids, measured, args.sales)
    print(f"posted {args.sales // 4:,} + {args.sales:,} + {args.sales // 2:,} sales in {seconds:.0f} s")

    month = measured.strftime("%Y-%m")
    client, headers = app.test_client(), {"Authorization": f"Bearer {ids['token']}"}
    path = f"/api/v1/merchants/{ids['busy']['merchant']}/statements/{month}"
    times = []
    with app.app_context():
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        now = balance_with_buckets(ids["busy"]["till"])
        balance = now.credits_posted - now.debits_posted
    totals = body["totals"]
    print(f"statement {month}: opening {body['opening_balance']:,}, sales {totals['sales']:,}, refunds "
          f"{totals['refunds']:,}, fees {totals['fees']:,}, fees returned {totals['fees_returned']:,}, net "
          f"{totals['net']:,}, closing {body['closing_balance']:,}")
    print(f"opening + net == closing: {body['opening_balance'] + totals['net'] == body['closing_balance']}; "
          f"closing == the merchant's balance now: {body['closing_balance'] == balance}")
    print(f"GET {month} ({args.repeat} runs, in-process): p50 {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms")
    cpu = backend_cpu_ms(month, ids, args.repeat)
    print(f"its SQL statement, database CPU: p50 {statistics.median(cpu):.0f} ms, max {max(cpu):.0f} ms "
          f"(load average now {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

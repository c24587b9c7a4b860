"""A merchant's monthly statement (UTC months), from the ledger entries of its account and of its
credit buckets (ledger_post.sql), read in one statement: the balance at the month's start, each
day's movements by kind, the balance at its end.

Which entries a month holds: per account, in the account's own order (seq), those after the
highest-numbered entry stamped before the month's first instant, up to the highest-numbered one
stamped before the next month's. Each entry's posted movement is its balance_after less the
previous entry's: a hold's pending entry shows an amount but moves nothing, and the month's first
entry is measured against the opening. So opening + movements == closing holds exactly, by
construction, and the next month opens where this one closed. (A payment stamped just before
midnight that took its lock just after another's is still counted once, in the month its place in
the sequence says; its day is then the month's first or last.)

Money moved between the merchant's own accounts (a bucket swept into its parent) adds to zero.
There are no payouts in this product: money leaves a merchant account only by refunds, reversals,
fees and operator adjustments.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import text

from app.auth.models import User
from app.core import clock
from app.core.errors import AppError, Code
from app.extensions import db
from app.history.filters import month_bounds
from app.merchant.services import merchant_account, staff_merchant

# Transaction types -> the statement's line; anything else (a bucket sweep, which nets to zero,
# or a type added later) is `other`, so that the lines always add up to the balance's change.
LINES = {"payment": "sales", "hold": "sales", "refund": "refunds", "reversal": "refunds", "fee": "fees",
         "fee_return": "fees_returned", "adjustment": "adjustments"}
# How each line is shown: money out (refunds, fees) as a positive amount taken off.
SIGN = {"sales": 1, "refunds": -1, "fees": -1, "fees_returned": 1, "adjustments": 1, "other": 1}
COLUMNS = ("sales", "refunds", "fees", "fees_returned", "adjustments", "other")

_STATEMENT = text("""
WITH own AS (
    SELECT id FROM accounts WHERE id = :account OR parent_id = :account
), bounds AS (
    -- Where the month starts and ends in each account's order: the highest seq stamped before the
    -- instant, looked for in the hour before it (a posting is stamped before it takes its lock, so
    -- stamps and seq may disagree by a lock wait, never by an hour), else the last stamped before it.
    SELECT own.id,
           greatest((SELECT max(seq) FROM entries WHERE account_id = own.id AND created_at < :start
                                                     AND created_at >= :start - interval '1 hour'),
                    (SELECT seq FROM entries WHERE account_id = own.id AND created_at < :start
                      ORDER BY created_at DESC LIMIT 1)) AS open_seq,
           greatest((SELECT max(seq) FROM entries WHERE account_id = own.id AND created_at < :end
                                                     AND created_at >= :end - interval '1 hour'),
                    (SELECT seq FROM entries WHERE account_id = own.id AND created_at < :end
                      ORDER BY created_at DESC LIMIT 1)) AS close_seq
      FROM own
), edges AS (
    SELECT b.id, coalesce(b.open_seq, 0) AS open_seq, coalesce(o.balance_after, 0) AS open_balance,
           greatest(coalesce(b.close_seq, 0), coalesce(b.open_seq, 0)) AS close_seq,
           coalesce(c.balance_after, o.balance_after, 0) AS close_balance
      FROM bounds AS b
      LEFT JOIN entries AS o ON o.account_id = b.id AND o.seq = b.open_seq
      LEFT JOIN entries AS c ON c.account_id = b.id AND c.seq = greatest(b.close_seq, b.open_seq)
), moves AS (
    -- Per account, in the order of its (account_id, seq) index, so the window needs no sort.
    SELECT m.transaction_id, greatest(least((m.created_at AT TIME ZONE 'UTC')::date, :last_day), :first_day) AS day,
           m.moved
      FROM edges CROSS JOIN LATERAL (
          SELECT e.transaction_id, e.created_at,
                 e.balance_after - lag(e.balance_after, 1, edges.open_balance) OVER (ORDER BY e.seq) AS moved
            FROM entries AS e
           WHERE e.account_id = edges.id AND e.seq > edges.open_seq AND e.seq <= edges.close_seq) AS m
), sums AS (
    SELECT moves.day, t.type, sum(moves.moved) AS moved
      FROM moves JOIN transactions AS t ON t.id = moves.transaction_id
     GROUP BY moves.day, t.type
)
SELECT (SELECT coalesce(sum(open_balance), 0) FROM edges) AS opening,
       (SELECT coalesce(sum(close_balance), 0) FROM edges) AS closing,
       sums.day, sums.type, sums.moved
  FROM (SELECT 1) AS one LEFT JOIN sums ON true
""")


def merchant_statement(user: User, merchant_id: str, month: str) -> dict:
    start, end = month_bounds(month)  # a bad month is a 422 before anything is read
    merchant = staff_merchant(user, merchant_id)  # not staff: the 404 of a missing merchant
    now = clock.now()
    if start > now:
        raise AppError(Code.VALIDATION_ERROR, "month has not started yet",
                       {"fields": [{"field": "month", "message": "a month up to the current one (UTC)"}]})
    account = merchant_account(merchant.id, merchant.currency)
    first_day, last_day = start.date(), (min(end, now) - timedelta(microseconds=1)).date()
    rows = db.session.execute(_STATEMENT, {"account": account.id, "start": start, "end": end,
                                           "first_day": first_day, "last_day": last_day}).all()
    opening, closing = int(rows[0].opening), int(rows[0].closing)
    by_day: dict[date, dict[str, int]] = {}
    for row in rows:
        if row.day is not None:
            line = LINES.get(row.type, "other")
            day = by_day.setdefault(row.day, dict.fromkeys(COLUMNS, 0))
            day[line] += SIGN[line] * int(row.moved)
    days, balance = [], opening
    for n in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=n)
        lines = by_day.get(day, dict.fromkeys(COLUMNS, 0))
        net = sum(SIGN[name] * amount for name, amount in lines.items())
        days.append({"date": day.isoformat(), "opening_balance": balance, **lines, "net": net,
                     "closing_balance": balance + net})
        balance += net
    totals = {name: sum(d[name] for d in days) for name in (*COLUMNS, "net")}
    return {"merchant_id": merchant.id, "month": month, "currency": merchant.currency, "time_zone": "UTC",
            "starts_at": start.isoformat(), "ends_at": end.isoformat(), "complete": end <= now,
            "opening_balance": opening, "closing_balance": closing, "totals": totals, "days": days}


CSV_COLUMNS = ("date", "currency", "opening_balance", *COLUMNS, "net", "closing_balance")


def statement_csv(user: User, merchant_id: str, month: str) -> tuple[str, Iterator[str]]:
    """The same statement as CSV: a row a day, then the month's row (date YYYY-MM). Every cell is
    a date, the currency code or an integer in minor units: nothing a spreadsheet could run."""
    found = merchant_statement(user, merchant_id, month)  # checked now, before the response starts
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    month_row = {"date": month, "opening_balance": found["opening_balance"], **found["totals"],
                 "closing_balance": found["closing_balance"]}
    for row in (*found["days"], month_row):
        writer.writerow([found["currency"] if name == "currency" else row[name] for name in CSV_COLUMNS])
    return f"{found['merchant_id']}-statement-{month}.csv", iter([buffer.getvalue()])

"""Reading history: an account's ledger entries newest first, filtered, in pages or in batches.

One row per entry, ordered by the account's own entry sequence. The sequence only grows (it is
assigned under the account's row lock), so a position "entries before seq N" never skips or
repeats a row when new payments arrive between two pages; filters only drop rows from that
ordered stream, so the same position works with any filter.

Several accounts (a merchant's currencies) are read as one stream by merging each account's
newest rows by time, with one position per account: each account's stream keeps the guarantee.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.pagination import pack, position, unpack
from app.extensions import db
from app.history.filters import HistoryFilters, apply_filters
from app.history.sale_times import sold_at_of
from app.history.search import search_rows
from app.wallet.models import Entry, Transaction
from app.history.presenters import (
    counterparties,
    history_item,
    other_account_id,
    without_wallet_ids,
)

# What a history row carries: the entry (this account's side) and its transaction. Plain
# columns, not ORM objects: nothing to track, and cheaper per row for long exports.
ROW = (Entry.seq, Entry.account_id, Entry.amount, Entry.balance_after, Entry.created_at.label("posted_at"),
       Transaction.id, Transaction.type, Transaction.status, Transaction.currency, Transaction.reference,
       Transaction.note, Transaction.created_at, Transaction.debit_account_id, Transaction.credit_account_id,
       Transaction.terminal_id, Entry.transfer_id, Transaction.fee)

Positions = dict[str, int | None]  # account id -> "entries before this seq" (None: from the newest)


def rows_before(account_id: str, filters: HistoryFilters, before: int | None, limit: int) -> list:
    if filters.q:
        return search_rows(_filtered(account_id, filters, before), filters, account_id, before, limit)
    return db.session.execute(page_statement(account_id, filters, before, limit)).all()


def page_statement(account_id: str, filters: HistoryFilters, before: int | None, limit: int) -> Select:
    """The newest `limit` rows (ROW) before `before` that pass `filters` (but `q`: search_rows)."""
    return _filtered(account_id, filters, before).order_by(Entry.seq.desc()).limit(limit)


def _filtered(account_id: str, filters: HistoryFilters, before: int | None) -> Select:
    # A merchant's bucket sweeps (ledger_post.sql) move its own money between its own accounts.
    stmt = (select(*ROW).join(Transaction, Transaction.id == Entry.transaction_id)
            .where(Entry.account_id == account_id, Transaction.type != "bucket_sweep"))
    if before is not None:
        stmt = stmt.where(Entry.seq < before)
    if (filters.starts_at is not None or filters.ends_before is not None) and not filters.q:
        # Not with `q`: it has its window and its indexes, and the bounds would cost a scan of
        # the range's index entries for each of its statements (2.6 s for 30 days with INV-500).
        stmt = stmt.where(Entry.seq.between(*_dated_positions(account_id, filters)))
    return apply_filters(stmt, filters)


def _dated_positions(account_id: str, filters: HistoryFilters):
    """The first and last position of the account's rows in the date filter's range, as two
    subqueries of the page's statement (read from ix_entries_account_created alone: it carries
    seq). PostgreSQL assumes a day's rows are spread evenly over the history and so walks the
    account's entries from the newest, testing each date: half a million rows for a day in the
    middle of a million (0.95 s in EXPLAIN ANALYZE); within these bounds the walk starts at that
    day. Exact whatever the order of seq and created_at (a payment's time is taken before it
    waits for the account's lock): the bounds are the range's own extremes, and the date
    conditions stay on the page's statement."""
    dated = aliased(Entry)
    span = [dated.account_id == account_id]
    if filters.starts_at is not None:
        span.append(dated.created_at >= filters.starts_at)
    if filters.ends_before is not None:
        span.append(dated.created_at < filters.ends_before)
    # correlate(None): the subqueries stand alone (computed once), not one per row of the page.
    # seq + 0: on min(seq) PostgreSQL walks the seq index for the first row in range, the same
    # walk again (0.47 s); on an expression it scans the range in the date index (4 ms).
    position = dated.seq + 0
    return (select(func.min(position)).where(*span).correlate(None).scalar_subquery(),
            select(func.max(position)).where(*span).correlate(None).scalar_subquery())


def next_rows(positions: Positions, filters: HistoryFilters, limit: int) -> tuple[list, bool, Positions]:
    """Up to `limit` rows after `positions`, newest first; whether more remain; the new positions."""
    fetched = []
    for account_id, before in positions.items():
        fetched += rows_before(account_id, filters, before, limit + 1)
    if len(positions) > 1:
        fetched.sort(key=lambda r: (clock.as_utc(r.posted_at), r.account_id, r.seq), reverse=True)
    taken = fetched[:limit]
    # Each account gave up to limit + 1 rows: if all of them together fit in the page, every
    # account's stream has ended.
    has_more = len(fetched) > limit
    moved = dict(positions)
    for row in taken:
        moved[row.account_id] = row.seq if moved[row.account_id] is None else min(moved[row.account_id], row.seq)
    return taken, has_more, moved


def batches(positions: Positions, filters: HistoryFilters, size: int) -> Iterator[list]:
    """Every matching row, `size` at a time, for exports: memory stays at one batch."""
    while True:
        rows, has_more, positions = next_rows(positions, filters, size)
        if rows:
            yield rows
        if not has_more:
            return


def describe(rows: list, *, hide_wallet_ids: bool = False, shown_as: dict[str, str] | None = None) -> list[dict]:
    """Rows -> API items, with the other side of each described in one query.

    `shown_as` maps accounts read together (a merchant account and its credit buckets) to the
    account they are shown as. Their rows have no balance_after: payments land in the buckets
    at once, so no order of them has a running balance that any moment had."""
    others = counterparties({other_account_id(r.debit_account_id, r.credit_account_id, r.account_id) for r in rows})
    if hide_wallet_ids:
        others = without_wallet_ids(others)
    sold = sold_at_of(rows)
    items = [history_item(row, others, sold.get((row.id, row.transfer_id))) for row in rows]
    if shown_as is not None:
        for item in items:
            item["wallet_id"], item["balance_after"] = shown_as.get(item["wallet_id"], item["wallet_id"]), None
    return items


# --- positions over several accounts, as one opaque cursor -----------------------------------

def encode_positions(positions: Positions) -> str:
    """Grouped by merchant account: {"acc_x": [its position, its buckets' in id order]}, so
    that a cursor over a merchant's accounts and their credit buckets stays short."""
    grouped: dict[str, list] = {}
    for account_id in sorted(positions):
        grouped.setdefault(_parent(account_id), []).append(positions[account_id])
    return pack({"g": grouped})


def _parent(account_id: str) -> str:
    return account_id.split(".")[0]  # a credit bucket's id is "<parent>.<n>"


def decode_positions(cursor: str | None, newest: dict[str, int]) -> Positions:
    """The positions a cursor names. `newest` is each account's entry count + 1: a first page
    starts there for every account, so an account none of whose rows made the first page does
    not later show rows that arrived after it (they belong to a fresh first page)."""
    positions: Positions = dict(newest)
    if cursor is None:
        return positions

    def read(data: dict) -> Positions:
        grouped = data["g"]
        if not isinstance(grouped, dict):
            raise TypeError("not a map of positions")
        named = {}
        for parent, seqs in grouped.items():
            accounts = sorted(account_id for account_id in positions if _parent(account_id) == parent)
            if not isinstance(seqs, list) or (accounts and len(seqs) != len(accounts)):
                raise TypeError("positions do not match the accounts")
            named |= dict(zip(accounts, seqs))
        # None marks an account with no rows left; an account the cursor does not name starts at `newest`.
        return positions | {account_id: None if seq is None else position(seq) for account_id, seq in named.items()}
    return unpack(cursor, read)

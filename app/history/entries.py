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

from sqlalchemy import select

from app.auth.models import User
from app.core import clock
from app.core.pagination import decode_cursor, encode_cursor, pack, position, unpack
from app.extensions import db
from app.history.filters import HistoryFilters, apply_filters
from app.wallet.models import Entry, Transaction
from app.history.presenters import (
    counterparties,
    history_item,
    other_account_id,
    without_wallet_ids,
)
from app.wallet.services import owned_wallet

# What a history row carries: the entry (this account's side) and its transaction. Plain
# columns, not ORM objects: nothing to track, and cheaper per row for long exports.
ROW = (Entry.seq, Entry.account_id, Entry.amount, Entry.balance_after, Entry.created_at.label("posted_at"),
       Transaction.id, Transaction.type, Transaction.status, Transaction.currency, Transaction.reference,
       Transaction.note, Transaction.created_at, Transaction.debit_account_id, Transaction.credit_account_id,
       Transaction.terminal_id)

Positions = dict[str, int | None]  # account id -> "entries before this seq" (None: from the newest)


def rows_before(account_id: str, filters: HistoryFilters, before: int | None, limit: int) -> list:
    stmt = (select(*ROW).join(Transaction, Transaction.id == Entry.transaction_id)
            .where(Entry.account_id == account_id))
    if before is not None:
        stmt = stmt.where(Entry.seq < before)
    stmt = apply_filters(stmt, filters).order_by(Entry.seq.desc()).limit(limit)
    return db.session.execute(stmt).all()


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


def describe(rows: list, *, hide_wallet_ids: bool = False) -> list[dict]:
    """Rows -> API items, with the other side of each described in one query."""
    others = counterparties({other_account_id(r.debit_account_id, r.credit_account_id, r.account_id) for r in rows})
    if hide_wallet_ids:
        others = without_wallet_ids(others)
    return [history_item(row, others) for row in rows]


def wallet_transactions(user: User, wallet_id: str, *, filters: HistoryFilters, limit: int,
                        cursor: str | None) -> dict:
    wallet = owned_wallet(user, wallet_id)
    rows, has_more, moved = next_rows({wallet.id: decode_cursor(cursor)}, filters, limit)
    return {"data": describe(rows), "has_more": has_more,
            "next_cursor": encode_cursor(moved[wallet.id]) if has_more else None}


# --- positions over several accounts, as one opaque cursor -----------------------------------

def encode_positions(positions: Positions) -> str:
    return pack({"a": positions})


def decode_positions(cursor: str | None, newest: dict[str, int]) -> Positions:
    """The positions a cursor names. `newest` is each account's entry count + 1: a first page
    starts there for every account, so an account none of whose rows made the first page does
    not later show rows that arrived after it (they belong to a fresh first page)."""
    positions: Positions = dict(newest)
    if cursor is None:
        return positions

    def read(data: dict) -> Positions:
        named = data["a"]
        if not isinstance(named, dict):
            raise TypeError("not a map of positions")
        # None marks an account with no rows left; an account the cursor does not name starts at `newest`.
        checked = {account_id: None if seq is None else position(seq) for account_id, seq in named.items()}
        return positions | {account_id: seq for account_id, seq in checked.items() if account_id in positions}
    return unpack(cursor, read)

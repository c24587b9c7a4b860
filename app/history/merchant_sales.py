"""A merchant's payment history: the entries of its ledger accounts (one per currency), with
the wallet history's filters plus the terminal, as a page or as CSV. Staff only; anyone else
gets the 404 of a missing merchant."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.merchant.services import staff_merchant
from app.history.exports import csv_lines
from app.history.entries import decode_positions, describe, encode_positions, next_rows
from app.history.filters import HistoryFilters
from app.wallet.models import Account


def _newest_positions(merchant_id: str, currency: str | None) -> dict[str, int]:
    """Each account's entry count + 1: where a first page (or an export) starts reading."""
    stmt = select(Account.id, Account.entry_count).where(Account.merchant_id == merchant_id,
                                                          Account.kind == "merchant")
    if currency is not None:
        stmt = stmt.where(Account.currency == currency)
    return {account_id: count + 1 for account_id, count in db.session.execute(stmt.order_by(Account.id))}


def merchant_transactions(user: User, merchant_id: str, *, filters: HistoryFilters, currency: str | None,
                          limit: int, cursor: str | None) -> dict:
    merchant = staff_merchant(user, merchant_id)
    positions = decode_positions(cursor, _newest_positions(merchant.id, currency))
    rows, has_more, moved = next_rows(positions, filters, limit)
    # Customers' names are shown to the shop (it took their money), their wallet ids are not.
    return {"data": describe(rows, hide_wallet_ids=True), "has_more": has_more,
            "next_cursor": encode_positions(moved) if has_more else None}


def merchant_csv(user: User, merchant_id: str, *, filters: HistoryFilters,
                 currency: str | None) -> tuple[str, Iterator[str]]:
    """Checked now, streamed later: staff_merchant runs before the response starts."""
    merchant = staff_merchant(user, merchant_id)
    positions = _newest_positions(merchant.id, currency)
    return f"{merchant.id}-transactions.csv", csv_lines(positions, filters, hide_wallet_ids=True)

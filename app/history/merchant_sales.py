"""A merchant's payment history: the entries of its ledger accounts (one per currency, each
with its credit buckets, shown as one account without a running balance), with
the wallet history's filters plus the terminal, as a page or as CSV. Staff only; anyone else
gets the 404 of a missing merchant."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.extensions import db
from app.merchant.services import staff_merchant
from app.history.exports import csv_lines
from app.history.entries import decode_positions, describe, encode_positions, next_rows
from app.history.filters import HistoryFilters
from app.wallet.models import Account


def _accounts(merchant_id: str, currency: str | None) -> tuple[dict[str, int], dict[str, str]]:
    """Where a first page (or an export) starts reading: each account's entry count + 1, for the
    merchant's accounts (one per currency) and their credit buckets; and which merchant account
    each bucket belongs to (its rows are shown as that account's)."""
    parent = aliased(Account)
    stmt = (select(Account.id, Account.entry_count, func.coalesce(Account.parent_id, Account.id))
            .outerjoin(parent, parent.id == Account.parent_id)
            .where(func.coalesce(parent.merchant_id, Account.merchant_id) == merchant_id,
                   Account.kind.in_(("merchant", "bucket"))))
    if currency is not None:
        stmt = stmt.where(Account.currency == currency)
    rows = db.session.execute(stmt.order_by(Account.id)).all()
    return {account_id: count + 1 for account_id, count, _ in rows}, {account_id: shown for account_id, _, shown in rows}


def merchant_transactions(user: User, merchant_id: str, *, filters: HistoryFilters, currency: str | None,
                          limit: int, cursor: str | None) -> dict:
    merchant = staff_merchant(user, merchant_id)
    newest, shown_as = _accounts(merchant.id, currency)
    rows, has_more, moved = next_rows(decode_positions(cursor, newest), filters, limit)
    # Customers' names are shown to the shop (it took their money), their wallet ids are not.
    return {"data": describe(rows, hide_wallet_ids=True, shown_as=shown_as), "has_more": has_more,
            "next_cursor": encode_positions(moved) if has_more else None}


def merchant_csv(user: User, merchant_id: str, *, filters: HistoryFilters,
                 currency: str | None) -> tuple[str, Iterator[str]]:
    """Checked now, streamed later: staff_merchant runs before the response starts."""
    merchant = staff_merchant(user, merchant_id)
    newest, shown_as = _accounts(merchant.id, currency)
    return f"{merchant.id}-transactions.csv", csv_lines(newest, filters, hide_wallet_ids=True, shown_as=shown_as)

"""History as CSV, streamed: rows are read BATCH at a time by the history cursor and written out
as they come, so memory stays at one batch whatever the row count.

Amounts and balances are integers in minor units (1250 USD = 12.50), exactly as the JSON API
gives them: no float or locale formatting can change a figure on its way to a spreadsheet.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from app.auth.models import User
from app.core.uow import end_read
from app.history.entries import Positions, batches, describe
from app.history.filters import HistoryFilters
from app.history.presenters import counterparty_name
from app.wallet.services import owned_wallet

# sold_at: an offline sale's time of sale (the terminal's or the phone's clock), beside created_at,
# its posting; empty for every other row.
COLUMNS = ("id", "created_at", "sold_at", "type", "amount", "currency", "balance_after", "counterparty", "reference", "status",
           "fee")
BATCH = 1000
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a
# leading quote makes it text. Tab and carriage return can start one too in some programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int:
    """Text that could be read as a formula gets a leading single quote. Integers (amount,
    balance_after) are ours, never caller text, and a negative amount must stay a number."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(positions: Positions, filters: HistoryFilters, *, hide_wallet_ids: bool = False,
              shown_as: dict[str, str] | None = None, batch: int | None = None) -> Iterator[str]:
    batch = batch or BATCH  # read at call time, so a test can make batches small
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for rows in batches(positions, filters, batch):
        for item in describe(rows, hide_wallet_ids=hide_wallet_ids, shown_as=shown_as):
            writer.writerow([safe_cell(item["id"]), safe_cell(item["created_at"]), safe_cell(item["sold_at"]),
                             safe_cell(item["type"]),
                             item["amount"], safe_cell(item["currency"]), item["balance_after"],
                             safe_cell(counterparty_name(item["counterparty"])), safe_cell(item["reference"]),
                             safe_cell(item["status"]), item["fee"]])
        # End the read transaction between batches: a slow client then holds no database
        # connection and no old snapshot while it downloads. The cursor (positions) carries on.
        end_read()
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail


def wallet_csv(user: User, wallet_id: str, filters: HistoryFilters) -> tuple[str, Iterator[str]]:
    """(file name, lines). The ownership check runs now, before the response starts, so a
    stranger gets a 404 envelope rather than a broken download."""
    wallet = owned_wallet(user, wallet_id)
    return f"{wallet.id}-transactions.csv", csv_lines({wallet.id: wallet.entry_count + 1}, filters)

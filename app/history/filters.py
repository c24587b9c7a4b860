"""History filters: what a caller may narrow a wallet's (or a merchant account's) history to,
and the SQL they become. Shared by the JSON list, the CSV export and the merchant history, so
all three select exactly the same rows.

Dates are UTC calendar days and apply to the ledger entry's time (when the money moved on this
account), the same time statements group by: `from=2026-03-01&to=2026-03-31` lists exactly the
rows the March statement counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select

from app.core.errors import AppError, Code
from app.wallet.models import Entry, Transaction

MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


@dataclass(frozen=True)
class HistoryFilters:
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive: the whole day counts
    q: str | None = None
    terminal_id: str | None = None  # merchants only

    @property
    def starts_at(self) -> datetime | None:
        return day_start(self.date_from) if self.date_from else None

    @property
    def ends_before(self) -> datetime | None:
        return day_start(self.date_to + timedelta(days=1)) if self.date_to else None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-03' -> [2026-03-01T00:00Z, 2026-04-01T00:00Z); anything else is a 422."""
    try:
        if not MONTH.fullmatch(month):
            raise ValueError
        year, number = int(month[:4]), int(month[5:])
        start = datetime(year, number, 1, tzinfo=UTC)
        end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    except (ValueError, OverflowError):
        raise AppError(Code.VALIDATION_ERROR, "month must be YYYY-MM",
                       {"fields": [{"field": "month", "message": "expected YYYY-MM, e.g. 2026-03"}]}) from None
    return start, end


def like_pattern(q: str) -> str:
    """A substring pattern in which the caller's % and _ are literal characters."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def apply_filters(stmt: Select, filters: HistoryFilters) -> Select:
    """`stmt` selects from Entry joined to Transaction; the filters but `q` become WHERE clauses
    (`q` depends on whose history it is: app.history.search)."""
    if filters.types:
        stmt = stmt.where(Transaction.type.in_(filters.types))
    if filters.statuses:
        stmt = stmt.where(Transaction.status.in_(filters.statuses))
    if filters.terminal_id is not None:
        stmt = stmt.where(Transaction.terminal_id == filters.terminal_id)
    return stmt.where(*entry_conditions(filters))


def entry_conditions(filters: HistoryFilters, posted_at=Entry.created_at) -> list:
    """The filters that are conditions on the entry alone (its date, `posted_at`): `q`'s index step
    applies them to the entries it finds before joining any transaction."""
    conditions = []
    if filters.starts_at is not None:
        conditions.append(posted_at >= filters.starts_at)
    if filters.ends_before is not None:
        conditions.append(posted_at < filters.ends_before)
    return conditions

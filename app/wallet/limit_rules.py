"""The tier limits, pure: what app/wallet/sql/limits.sql decides inside the posting, written out
so that the tests (and GET /api/v1/me/limits) can say the same thing without a database.

A wallet's outgoing posted and pending transfers count against its owner's tier, per UTC day and
UTC month; a hold resolved for less than it took gives the rest back to the period it was counted
in. A debit to a system account (an approved adjustment) does not count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PERIODS = ("day", "month")


def period_start(period: str, now: datetime) -> datetime:
    now = now.astimezone(UTC)
    if period == "day":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def resets_at(period: str, now: datetime) -> datetime:
    start = period_start(period, now)
    if period == "day":
        return start + timedelta(days=1)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def used_now(period: str, stored_start: datetime | None, used: int, now: datetime) -> int:
    """A counter row counts only while its period is the current one."""
    return used if stored_start is not None and stored_start == period_start(period, now) else 0


@dataclass(frozen=True)
class Refusal:
    limit: str
    limit_amount: int
    remaining: int
    resets_at: datetime | None


def debit_refusal(*, tier: dict, amount: int, used_day: int, used_month: int, now: datetime) -> Refusal | None:
    """Why an outgoing `amount` is refused, or None: the single payment first, then the day, then the month
    (the order the SQL function checks in)."""
    if amount > tier["max_payment"]:
        return Refusal("max_payment", tier["max_payment"], tier["max_payment"], None)
    if used_day + amount > tier["daily_out"]:
        return Refusal("daily_out", tier["daily_out"], max(tier["daily_out"] - used_day, 0), resets_at("day", now))
    if used_month + amount > tier["monthly_out"]:
        return Refusal("monthly_out", tier["monthly_out"], max(tier["monthly_out"] - used_month, 0),
                       resets_at("month", now))
    return None

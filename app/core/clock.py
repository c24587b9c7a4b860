"""The one source of "now": timezone-aware UTC, movable in tests."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> None:
    """Tests only: move every reader of the clock forward."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def as_utc(value: datetime) -> datetime:
    """A stored time, certainly aware: timestamptz columns come back aware; a naive value was UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """A stored time as the API writes it: ISO 8601 in UTC, or None."""
    return as_utc(value).isoformat() if value is not None else None

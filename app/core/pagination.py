"""Cursor pagination: newest first, an opaque cursor, stable while new rows arrive.

A cursor names the last row the client saw, either by a strictly increasing position (a sequence
number) or by the (created_at, id) pair of a row that never changes, so rows added after the
first page can never shift later pages. Every cursor is the same codec: compact JSON in URL-safe
base64 without padding; anything that does not decode to what the list issued is a 422.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import Field

from app.core import clock
from app.core.errors import AppError, Code
from app.core.schemas import RequestParams

POSITION_MAX = 2 ** 63 - 1  # a signed 64-bit column (BIGINT); larger values crash the query
T = TypeVar("T")


class PageQuery(RequestParams):
    limit: int = Field(20, ge=1, le=100, description="page size, 1..100")
    cursor: str | None = Field(None, max_length=1024, description="next_cursor from the previous page")


def pack(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(cursor: str, read: Callable[[dict], T]) -> T:
    """`read` takes the decoded dict apart; any ValueError, KeyError or TypeError, there or in
    decoding, is the one refusal a client gets for a cursor the API did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(data, dict):
            raise ValueError
        return read(data)
    except (ValueError, KeyError, TypeError):
        raise AppError(Code.VALIDATION_ERROR, "cursor is not one this API issued",
                       {"fields": [{"field": "cursor", "message": "invalid cursor"}]}) from None


def position(value) -> int:
    """A row position as a cursor may carry it: a non-negative BIGINT (not a bool, not a float)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= POSITION_MAX:
        raise ValueError("not a position")
    return value


def encode_cursor(at: int) -> str:
    return pack({"p": at})


def decode_cursor(cursor: str | None) -> int | None:
    return None if cursor is None else unpack(cursor, lambda data: position(data["p"]))


def encode_keyset(created_at: datetime, row_id: str) -> str:
    return pack({"t": clock.iso(created_at), "i": row_id})


def decode_keyset(cursor: str) -> tuple[datetime, str]:
    """(created_at, id) of the last row seen: an aware time and an id of ours (at most 40 characters)."""
    def read(data: dict) -> tuple[datetime, str]:
        created_at, row_id = datetime.fromisoformat(data["t"]), data["i"]
        if created_at.tzinfo is None or not isinstance(row_id, str) or len(row_id) > 40:
            raise ValueError("not a keyset cursor")
        return created_at, row_id
    return unpack(cursor, read)

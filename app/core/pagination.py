"""Cursor pagination: newest first, an opaque cursor, stable while new rows arrive.

The cursor names the last row the client saw by a strictly increasing position (a sequence
number), so rows added after the first page can never shift later pages.
"""
from __future__ import annotations

import base64
import json

from pydantic import Field

from app.core.schemas import RequestParams
from app.core.errors import AppError, Code

POSITION_MAX = 2 ** 63 - 1  # a signed 64-bit column (BIGINT); larger values crash the query


class PageQuery(RequestParams):
    limit: int = Field(20, ge=1, le=100, description="page size, 1..100")
    cursor: str | None = Field(None, max_length=200, description="next_cursor from the previous page")


def encode_cursor(position: int) -> str:
    raw = json.dumps({"p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))["p"]
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= POSITION_MAX:
            raise ValueError
        return position
    except (ValueError, KeyError, TypeError):
        raise AppError(Code.VALIDATION_ERROR, "cursor is not one this API issued",
                       {"fields": [{"field": "cursor", "message": "invalid cursor"}]}) from None


def page(items: list, limit: int, position_of) -> dict:
    """`items` holds up to limit + 1 rows; the extra one only tells whether there is more."""
    has_more = len(items) > limit
    items = items[:limit]
    return {
        "data": items,
        "has_more": has_more,
        "next_cursor": encode_cursor(position_of(items[-1])) if has_more and items else None,
    }

"""Cursor pagination: opaque cursors that round-trip, and refusal of any the API did not issue."""
from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from app.core.errors import AppError
from app.core.pagination import decode_cursor, decode_keyset, encode_cursor, encode_keyset


def raw_cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


@pytest.mark.parametrize("position", [0, 1, 7, 12345, 2 ** 63 - 1])
def test_a_cursor_round_trips_to_its_position(position):
    cursor = encode_cursor(position)

    assert decode_cursor(cursor) == position
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string


def test_no_cursor_means_the_first_page():
    assert decode_cursor(None) is None


@pytest.mark.parametrize("cursor", [
    "", "garbage", "!!!!", "é", "e30",
    raw_cursor(b"not json"), raw_cursor(b"[1]"), raw_cursor(b"1"), raw_cursor(b"null"),
    raw_cursor(b'{"q": 1}'), raw_cursor(b'{"p": -1}'), raw_cursor(b'{"p": "5"}'), raw_cursor(b'{"p": true}'),
    raw_cursor(b'{"p": 1.0}'), raw_cursor(b'{"p": null}'), raw_cursor(b'{"p": 9223372036854775808}'),
    raw_cursor(b"\xff\xfe\x00"),
])
def test_a_cursor_the_api_did_not_issue_is_refused_as_a_validation_error(cursor):
    with pytest.raises(AppError) as refused:
        decode_cursor(cursor)

    assert refused.value.status == 422
    assert refused.value.code == "validation_error"
    assert refused.value.details["fields"][0]["field"] == "cursor"


def test_a_keyset_cursor_round_trips_to_its_row():
    created_at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

    assert decode_keyset(encode_keyset(created_at, "ord_abc")) == (created_at, "ord_abc")


@pytest.mark.parametrize("cursor", [
    "garbage", raw_cursor(b'{"t": "2026-03-01T12:30:00", "i": "ord_1"}'),  # a time without its zone
    raw_cursor(b'{"t": "2026-03-01T12:30:00+00:00", "i": 5}'), raw_cursor(b'{"t": "yesterday", "i": "x"}'),
    raw_cursor(b'{"t": "2026-03-01T12:30:00+00:00", "i": "' + b"x" * 41 + b'"}'), raw_cursor(b'{"i": "x"}'),
])
def test_a_keyset_cursor_the_api_did_not_issue_is_refused_as_a_validation_error(cursor):
    with pytest.raises(AppError) as refused:
        decode_keyset(cursor)

    assert (refused.value.status, refused.value.code) == (422, "validation_error")

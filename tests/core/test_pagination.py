"""Cursor pagination: opaque cursors that round-trip, and refusal of any the API did not issue."""
from __future__ import annotations

import base64

import pytest

from app.core.errors import AppError
from app.core.pagination import PageQuery, decode_cursor, encode_cursor, page


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


def test_a_page_with_one_extra_row_has_more_and_points_at_its_last_row():
    result = page([10, 9, 8, 7], limit=3, position_of=lambda n: n)

    assert result["data"] == [10, 9, 8]
    assert result["has_more"] is True
    assert decode_cursor(result["next_cursor"]) == 8


@pytest.mark.parametrize("rows", [[], [3], [3, 2, 1]])
def test_a_page_without_an_extra_row_is_the_last(rows):
    result = page(rows, limit=3, position_of=lambda n: n)

    assert result == {"data": rows, "has_more": False, "next_cursor": None}


@pytest.mark.parametrize("limit, ok", [(1, True), (20, True), (100, True), (0, False), (101, False)])
def test_page_size_is_1_to_100(limit, ok):
    if ok:
        assert PageQuery(limit=limit).limit == limit
    else:
        with pytest.raises(ValueError):
            PageQuery(limit=limit)


def test_the_default_page_size_is_20():
    assert PageQuery().limit == 20

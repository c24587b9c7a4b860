"""What every request must pass before any route, schema or rate limit sees it."""
from __future__ import annotations

import logging
import re

import pytest

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def body_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every API route that takes a body, path parameters filled with a dummy id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "x_1", rule.rule)
        routes += [(method, path) for method in sorted(rule.methods & BODY_METHODS)]
    return routes


def assert_refused_as_bad_input(response) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] == "validation_error"


# --- deeply nested JSON -------------------------------------------------------------------------

def test_two_kilobytes_of_nested_json_at_login_is_422_not_a_server_error(client, caplog):
    # given the reported probe: 1,000 nested lists (2 KB) to the login endpoint, no credentials
    caplog.set_level(logging.INFO)

    response = client.post("/api/v1/auth/login", data=nested_list(1000), content_type="application/json")

    # then it is refused as bad input in the error envelope, and nothing is logged as a crash
    assert_refused_as_bad_input(response)
    assert "nested" in response.json["error"]["message"]
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("body", [nested_list(1000), nested_object(1000), nested_list(33)],
                         ids=["lists-1000", "objects-1000", "lists-33"])
def test_nesting_deeper_than_32_levels_is_422_on_every_endpoint_that_takes_a_body(app, client, body):
    # given every API route that takes a body, before any authentication or signature
    routes = body_routes(app)
    assert len(routes) > 40

    for method, path in routes:
        # when it receives the deeply nested body
        response = client.open(path, method=method, data=body, content_type="application/json")

        # then each answers 422 validation_error, never a 500 or a 401
        assert response.status_code == 422, f"{method} {path}: {response.status_code}"
        assert response.json["error"]["code"] == "validation_error", f"{method} {path}"


def test_nesting_of_32_levels_passes_the_guard(client):
    # given a body nested exactly 32 levels, when sent to login, then the schema judges it, not the guard
    response = client.post("/api/v1/auth/login", data=nested_list(32), content_type="application/json")

    assert_refused_as_bad_input(response)
    assert "nested" not in response.json["error"]["message"]


def test_the_depth_limit_is_a_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_JSON_DEPTH", 2)

    response = client.post("/api/v1/auth/login", json={"identifier": {"a": {"b": 1}}, "password": "x"})

    assert_refused_as_bad_input(response)
    assert "nested" in response.json["error"]["message"]


@pytest.mark.parametrize(("raw", "depth"), [
    (b"", 0), (b"1", 0), (b'"[[[["', 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4),
    (b'["\\"[[[", [[]]]', 3),  # an escaped quote does not end the string: its brackets do not count
    (b'["\\\\", [[]]]', 3),  # an escaped backslash does end it
    (b"[" * 1000, 1000), (b"]]]]", 0),
])
def test_json_depth_counts_brackets_outside_strings(raw, depth):
    from app.core.guards import json_depth

    assert json_depth(raw) == depth


# --- NUL characters, once decoded ---------------------------------------------------------------
# PostgreSQL text cannot hold NUL: a %00 that reached a query was a 500 (psycopg.DataError).

@pytest.mark.parametrize("url", ["/healthz?a=%00", "/healthz?%00=1", "/api/v1/wallets?cursor=ab%00c",
                                 "/api/v1/wallets/wal_%00abc", "/api/v1/nothing-here/%00"])
def test_a_percent_encoded_nul_in_the_query_or_path_is_422(client, url):
    response = client.get(url)

    assert_refused_as_bad_input(response)


@pytest.mark.parametrize("header", ["X-Terminal-Id", "X-Nonce", "X-Timestamp", "X-Device-Name", "Authorization"])
def test_a_nul_in_a_header_is_422_before_anything_looks_it_up(client, header):
    # given a header a terminal or an app sends (the terminal id is looked up in the database)
    headers = {"X-Terminal-Id": "ter_1", "X-Timestamp": "1795700000", "X-Nonce": "5f2b8c1e9d7a4f60b3c2",
               "X-Signature": "00", header: "ter_\x00x"}

    response = client.get("/api/v1/pos/config", headers=headers)

    assert_refused_as_bad_input(response)

"""The benchmark's statement counter (app.core.sql_counts) and how the bench reads it
(bench/statements.py): what counts as a statement, a round trip and a transaction."""
from __future__ import annotations

import json
import time

import psycopg
import pytest

from app import create_app
from app.core import sql_counts
from bench import statements
from tests.support.settings import app_settings
from tests.support.env import TEST_DATABASE_URL


@pytest.fixture(scope="module")
def counted_app(tmp_path_factory):
    """An app of its own with SQL_COUNTS_DIR set (the shared one stays uncounted)."""
    folder = tmp_path_factory.mktemp("sql_counts")
    return create_app(app_settings(tmp_path_factory) | {"SQL_COUNTS_DIR": str(folder)}), folder


@pytest.fixture
def conn(counted_app):
    with psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", "")) as connection:
        yield connection


def delta(action) -> dict:
    before = dict(sql_counts._counts)
    action()
    return {name: sql_counts._counts[name] - before.get(name, 0) for name in sql_counts.FIELDS
            if sql_counts._counts[name] != before.get(name, 0)}


def test_a_statement_in_autocommit_is_one_round_trip_and_one_transaction(conn):
    conn.autocommit = True

    assert delta(lambda: conn.execute("SELECT 1")) == {"statements": 1, "round_trips": 1, "transactions": 1}


def test_a_transaction_counts_its_begin_and_commit_as_round_trips(conn):
    def two_statements_and_commit():
        conn.execute("SELECT 1")
        conn.execute("SELECT 2")
        conn.commit()

    assert delta(two_statements_and_commit) == {"statements": 2, "round_trips": 4, "transactions": 1}


def test_nothing_is_sent_for_a_rollback_outside_a_transaction(conn):
    conn.execute("SELECT 1")
    assert delta(conn.rollback) == {"round_trips": 1}  # ROLLBACK

    assert delta(conn.rollback) == {}


def test_preparing_a_statement_is_a_round_trip_of_its_own(conn):
    conn.autocommit = True
    conn.prepare_threshold = 0  # prepare on first use

    assert delta(lambda: conn.execute("SELECT %s::int", (1,))) == {"statements": 1, "round_trips": 2,
                                                                    "transactions": 1}


def test_each_process_writes_its_totals_and_the_bench_divides_by_requests(counted_app):
    app, folder = counted_app
    before = statements.totals(folder)

    for _ in range(3):
        assert app.test_client().get("/readyz").status_code == 200
    deadline = time.monotonic() + 5
    while statements.totals(folder)["requests"] < before["requests"] + 3 and time.monotonic() < deadline:
        time.sleep(0.05)

    after = statements.totals(folder)
    assert after["requests"] == before["requests"] + 3
    assert after["statements"] > before["statements"]  # /readyz asks the database
    figures = statements.per_request(before, after)
    assert figures["requests_counted"] == 3
    assert figures["statements_per_request"] == round((after["statements"] - before["statements"]) / 3, 2)
    assert set(json.loads(next(folder.glob("*.json")).read_text())) == set(statements.FIELDS)


def test_per_request_is_none_without_requests():
    zero = dict.fromkeys(statements.FIELDS, 0)

    assert statements.per_request(zero, zero)["statements_per_request"] is None


def test_cpu_per_payment_is_cpu_seconds_over_the_payments():
    cpu = {"app_cpu_seconds": 3.0, "db_cpu_seconds": 1.5}

    assert statements.cpu_ms_per(cpu, 1500) == {"app_cpu_ms": 2.0, "db_cpu_ms": 1.0}
    assert statements.cpu_ms_per(cpu, 0) == {"app_cpu_ms": None, "db_cpu_ms": None}


def test_the_writer_stops_when_its_directory_is_gone(tmp_path):
    # A thread that kept failing would print a traceback every 0.2 s for the rest of the process.
    sql_counts._write_forever(tmp_path / "removed")  # returns instead of looping

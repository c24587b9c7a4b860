"""History's `q` (app.history.search): the newest rows are walked, older ones are found through the
entries' trigram index, and both ways give the same rows as the plain substring rule (the
reference or note ILIKE the text, as before migration 0036); bad `q` is a 422."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from app.extensions import db
from app.history import search
from tests.support.errors import assert_envelope
from tests.support.history import history, ids, qr_payment, shop

# What each `q` finds in the `mixed` history (tests/support/history.py), newest first.
EXPECTED = [
    ("t12-004", ["cake", "coffee"]),  # reference, any case
    ("0043", ["cake"]),
    ("PIZZA", ["to_bob"]),  # note
    ("50%", ["to_bob"]),  # % is a character, not a wildcard
    ("marley", ["from_bob", "to_bob"]),  # the other person's name
    ("kopi", ["cake", "coffee"]),  # the merchant's name
    ("top-up", ["topup"]),  # the label the top-up float is shown by
    ("_", []),  # _ is a character too
    ("nothing like it", []),
]


@pytest.fixture(params=["walked", "indexed"])
def way(request, monkeypatch):
    """walked: every row is in the window of newest rows; indexed: none is (WINDOW 0), so every
    row is found by the statement that starts from the trigram index."""
    if request.param == "indexed":
        monkeypatch.setattr(search, "WINDOW", 0)
    return request.param


@pytest.mark.parametrize("query, expected", EXPECTED)
def test_q_finds_the_same_rows_walked_or_through_the_indexes(api, mixed, way, query, expected):
    alice, _, made = mixed

    assert ids(api, alice, q=query) == [made[name] for name in expected]


@pytest.mark.parametrize("query, expected", [("marley", ["from_bob", "to_bob"]), ("kopi", ["cake", "coffee"])])
def test_many_people_of_that_name_are_matched_as_a_subquery(api, mixed, monkeypatch, way, query, expected):
    # Past LISTED_PARTIES the accounts named like q are not listed but selected in the statement.
    monkeypatch.setattr(search, "LISTED_PARTIES", 0)
    alice, _, made = mixed

    assert ids(api, alice, q=query) == [made[name] for name in expected]


def test_a_row_matching_twice_is_listed_once(api):
    # given a transfer to Bob whose note also says Bob
    alice, bob = api.person(name="Alice", balance=1000), api.person(name="Bob Builder")
    sent = api.transfer(alice, bob.phone, 100, note="for bob").json["id"]

    assert ids(api, alice, q="bob") == [sent]


@pytest.mark.parametrize("window", [0, 1, 3])
def test_pages_cross_from_the_window_to_the_indexes_without_a_gap(app, api, monkeypatch, window):
    # given nine payments with references and transfers to Bob (which q drops) in between
    monkeypatch.setattr(search, "WINDOW", window)
    alice, bob = api.person(name="Alice", balance=100_000), api.person(name="Bob")
    owner, merchant = shop(app, api)
    paid = []
    for n in range(9):
        paid.append(qr_payment(api, owner, merchant, alice, 100 + n, reference=f"R-{n}"))
        api.transfer(alice, bob.phone, 10)

    # when she pages through them two at a time
    seen, cursor = [], None
    while True:
        body = history(api, alice, q="r-", limit=2, **({"cursor": cursor} if cursor else {})).json
        seen += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]

    # then every one once, newest first
    assert seen == list(reversed(paid))


def _older_history(wallet_id: str, other_id: str, rows: int) -> None:
    """`rows` old transfers into the wallet (transactions and its entries only; the
    ledger's chain is not kept: this history is for the planner's statistics, then truncated).
    Their positions are below zero: older than every row the API wrote."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no foreign-key triggers
        conn.execute(text("""
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      reference, created_at)
            SELECT 'txn_old' || g, 'transfer', 'succeeded', 100, 'USD', :other, :wallet, 'OLD-' || g,
                   now() - interval '1 year' + g * interval '1 second'
              FROM generate_series(1, :rows) AS g"""), {"other": other_id, "wallet": wallet_id, "rows": rows})
        conn.execute(text("""
            INSERT INTO entries (account_id, seq, transfer_id, transaction_id, amount, balance_after, prev_hash,
                                 created_at, search)
            SELECT :wallet, -g, 'trf_x', 'txn_old' || g, 100, 0, repeat('0', 64),
                   now() - interval '1 year' + g * interval '1 second', entry_search_text('OLD-' || g, NULL)
              FROM generate_series(1, :rows) AS g"""), {"wallet": wallet_id, "rows": rows})
        conn.execute(text("ANALYZE transactions"))
        conn.execute(text("ANALYZE entries"))
        # Into the index proper, as autovacuum would have moved rows this old (a GIN index takes
        # new rows into a pending list, which every search reads whole).
        conn.execute(text("SELECT gin_clean_pending_list('ix_entries_search_trgm')"))


def test_below_the_window_the_text_is_looked_up_in_the_entries_trigram_index(app, api, mixed, monkeypatch):
    # Below the window the matches come from the trigram index, sorted by position, and each is
    # then joined to its transaction in a loop (LATERAL ... LIMIT 1) that stops at a full page.
    # Joined plainly, PostgreSQL merged the sorted matches with a walk of all the account's
    # entries (0.4 s on a million); with "common" text (all 20,000 rows match OLD-) it must
    # still not walk them.
    monkeypatch.setattr(search, "WINDOW", 0)
    alice, bob, _ = mixed
    sent = []
    with app.app_context():
        _older_history(alice.wallet_id, bob.wallet_id, 20_000)
        listen = lambda conn, cursor, statement, params, context, many: sent.append((statement, params))
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert ids(api, alice, q="t12-0042")
            assert len(ids(api, alice, q="old-1", limit=5)) == 5
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        plans = []
        for statement, params in [(s, p) for s, p in sent if "LATERAL" in s]:
            with db.engine.connect() as conn:
                conn.execute(text("SET enable_seqscan = off"))  # 20,000 entries are still read whole
                plans.append("\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params)))

    assert len(plans) == 2
    for plan in plans:
        assert "Bitmap Index Scan on ix_entries_search_trgm" in plan, plan
        assert "Merge Join" not in plan and "Hash Join" not in plan, plan
        assert "Index Scan Backward" not in plan, plan


def test_the_window_walks_its_rows_and_leaves_the_index_alone(app, api, mixed, monkeypatch):
    # In the window the text is tested row by row: on INV-1 at a million rows PostgreSQL
    # otherwise read the index's 55,000 matches to intersect them with the window's rows.
    alice, bob, _ = mixed
    sent = []
    with app.app_context():
        _older_history(alice.wallet_id, bob.wallet_id, 20_000)
        listen = lambda conn, cursor, statement, params, context, many: sent.append((statement, params))
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert ids(api, alice, q="t12-0042")
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        statement, params = next((s, p) for s, p in sent if "coalesce(entries.search" in s)
        with db.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))

    assert "ix_entries_search_trgm" not in plan, plan


def test_the_trigram_indexes_exist(app):
    with app.app_context():
        names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm'")))

    assert names == {"ix_entries_search_trgm", "ix_users_name_trgm", "ix_merchants_name_trgm"}


@pytest.mark.parametrize("q", ["", "x" * 101, "line\nbreak", "nul\x00", "tab\there", "\x7f"])
def test_bad_q_is_a_422_naming_q(api, q):
    alice = api.person(balance=100)

    error = assert_envelope(history(api, alice, q=q), 422, "validation_error")

    assert any("q" in field["field"] for field in error["details"]["fields"]), error


def test_the_longest_q_is_searched(api, mixed):
    alice, _, _ = mixed

    assert ids(api, alice, q="x" * 100) == []


def test_a_payment_arriving_between_the_two_steps_neither_repeats_nor_hides_a_row(app, api, monkeypatch):
    # given three transfers to Bob with notes, and a window of one row
    monkeypatch.setattr(search, "WINDOW", 1)
    alice, bob = api.person(name="Alice", balance=10_000), api.person(name="Bob")
    sent = [api.transfer(alice, bob.phone, 100, note=f"rent {n}").json["id"] for n in range(3)]
    # when another one arrives after the window was read and before the older rows are
    newest, arrived = search._newest, []

    def meanwhile(parts, limit):
        found = newest(parts, limit)
        if not arrived:
            with app.app_context():
                arrived.append(api.transfer(alice, bob.phone, 100, note="rent late").json["id"])
        return found
    monkeypatch.setattr(search, "_newest", meanwhile)
    page = ids(api, alice, q="rent")

    # then the page is the three that were there, once each
    assert page == list(reversed(sent))
    assert arrived

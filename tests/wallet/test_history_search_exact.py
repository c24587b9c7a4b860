"""History's `q` on entries.search (migration 0036) finds exactly the rows the rule before it found:
the transaction's reference or note ILIKE '%q%' (q's % and _ literal), newest first, in pages that
neither skip nor repeat across the window's edge; ledger_move and the migration's fill write the
searched text as entry_search_text says."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from app.history import search
from app.history.filters import like_pattern
from tests.support.history import history, ids, qr_payment, shop

# (reference, note) of old rows written straight into the ledger's tables: both fields on one
# transaction happen nowhere in the API, and the separator between them must never be matched across.
OLD = [("AB", "cd"), ("INV-100%", None), ("INV-100x", None), (None, "a_b c"), (None, "axb c"),
       (None, "back\\slash"), ("Ref-ÀÉÎ", "Crème Brûlée"), (None, "STRAßE 5"), (None, "ΣΊΣΥΦΟΣ"),
       (None, "İstanbul"), (None, "party 🎉 time"), ("", "empty ref"), (None, None)]
# Notes of transfers made through the API, so that ledger_move writes their text.
NOTES = ["Café au lait", "CAFÉ NOIR", "100% sure", "straße 9", "σίσυφος", "istanbul"]
QUERIES = ["bc", "b\x20c", "ab", "cd", "100%", "100", "a_b", "_", "%", "k\\s", "\\", "àéî", "ÀÉÎ", "crème brû",
           "café", "CAFÉ", "é", "straße", "STRASSE", "ße", "σίσυφος", "ΣΊΣΥΦΟΣ", "σ", "istanbul", "İstanbul",
           "🎉", "y 🎉 t", "inv-1", "INV-100", "ref", "empty", "lait", "none of these"]


def _old_rows(wallet_id: str, other_id: str) -> None:
    """OLD as the wallet's first entries (positions 1..), straight into the ledger's tables."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no foreign-key triggers
        for n, (reference, note) in enumerate(OLD, start=1):
            params = {"id": f"txn_exact{n}", "wallet": wallet_id, "other": other_id, "reference": reference,
                      "note": note, "seq": n}
            conn.execute(text("""
                INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                          reference, note, created_at)
                VALUES (:id, 'transfer', 'succeeded', 100, 'USD', :other, :wallet, :reference, :note,
                        now() - interval '1 year')"""), params)
            conn.execute(text("""
                INSERT INTO entries (account_id, seq, transfer_id, transaction_id, amount, balance_after, prev_hash,
                                     created_at, search)
                VALUES (:wallet, :seq, 'trf_x', :id, 100, 0, repeat('0', 64), now() - interval '1 year',
                        entry_search_text(:reference, :note))"""), params)
        # The API's rows follow them (the hash chain is not kept: no ledger check here).
        conn.execute(text("UPDATE accounts SET entry_count = :n WHERE id = :wallet"),
                     {"n": len(OLD), "wallet": wallet_id})


@pytest.fixture
def long_history(app, api):
    """Alice: old rows (OLD), then a top-up, transfers to Bob with NOTES and QR payments with references."""
    alice, bob = api.person(name="Alice"), api.person(name="Bob")
    owner, merchant = shop(app, api, name="Zed Shop")
    with app.app_context():
        _old_rows(alice.wallet_id, bob.wallet_id)
    api.topup(alice, 100_000)
    for n, note in enumerate(NOTES):
        assert api.transfer(alice, bob.phone, 10 + n, note=note).status_code == 201
        qr_payment(api, owner, merchant, alice, 20 + n, reference=f"INV-{100 + n}")
    return alice


def expected(app, wallet_id: str, q: str) -> list[str]:
    """The rule before migration 0036, straight on the transactions, newest first."""
    with app.app_context():
        return list(db.session.scalars(text("""
            SELECT t.id FROM entries AS e JOIN transactions AS t ON t.id = e.transaction_id
             WHERE e.account_id = :wallet AND (t.reference ILIKE :p ESCAPE '\\' OR t.note ILIKE :p ESCAPE '\\')
             ORDER BY e.seq DESC"""), {"wallet": wallet_id, "p": like_pattern(q)}))


@pytest.mark.parametrize("window", [0, 3, 2000])
def test_every_q_finds_what_reference_or_note_ilike_found(app, api, long_history, monkeypatch, window):
    monkeypatch.setattr(search, "WINDOW", window)
    alice = long_history
    found_any = set()
    for q in QUERIES:
        with app.app_context():
            assert search.named_accounts(q) is None, q  # no name or label in the way: text alone
        want = expected(app, alice.wallet_id, q)
        found_any |= set(want)

        assert ids(api, alice, q=q) == want, q
    assert len(found_any) > 10  # the queries do find rows, old and new


def test_the_separator_between_reference_and_note_is_never_matched(app, api, long_history):
    # "AB" and "cd" on one transaction: "bc" spans the two and matches neither
    assert ids(api, long_history, q="bc") == []
    assert len(ids(api, long_history, q="ab")) == 1 and len(ids(api, long_history, q="CD")) == 1


@pytest.mark.parametrize("window", [0, 1, 3, 7])
def test_pages_of_two_cross_the_window_and_the_old_rows_without_a_gap(app, api, long_history, monkeypatch, window):
    monkeypatch.setattr(search, "WINDOW", window)
    alice = long_history
    for q in ["c", "inv-1", "é"]:
        seen, cursor = [], None
        while True:
            body = history(api, alice, q=q, limit=2, **({"cursor": cursor} if cursor else {})).json
            seen += [item["id"] for item in body["data"]]
            if not body["has_more"]:
                break
            cursor = body["next_cursor"]

        assert seen == expected(app, alice.wallet_id, q), q


def test_ledger_move_writes_the_text_on_both_entries(app, api):
    alice, bob = api.person(name="Alice", balance=1000), api.person(name="Bob")
    owner, merchant = shop(app, api, name="Zed Shop")
    noted = api.transfer(alice, bob.phone, 100, note="Lunch ÀB 50%").json["id"]
    plain = api.transfer(alice, bob.phone, 100).json["id"]
    paid = qr_payment(api, owner, merchant, alice, 100, reference="T-9")
    with app.app_context():
        written = lambda txn: sorted(db.session.scalars(
            text("SELECT coalesce(search, '<null>') FROM entries WHERE transaction_id = :t"), {"t": txn}))

        assert written(noted) == ["lunch àb 50%"] * 2
        assert written(plain) == ["<null>"] * 2
        assert set(written(paid)) == {"t-9"}


def test_the_migration_fills_the_text_of_existing_entries(app, api, long_history):
    migration = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0036_search.py"
    spec = importlib.util.spec_from_file_location("migration_0036", migration)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # the old rows' transfer is not there
        before = conn.execute(text("SELECT account_id, seq, search FROM entries ORDER BY account_id, seq")).all()
        conn.execute(text("UPDATE entries SET search = NULL"))
        conn.execute(text(module.FILL))
        after = conn.execute(text("SELECT account_id, seq, search FROM entries ORDER BY account_id, seq")).all()

    assert after == before and any(search for _, _, search in after)


def test_entry_search_text_is_inlined_into_the_statement_that_calls_it(app):
    # Not inlined (concat_ws, STABLE, in an IMMUTABLE function), PostgreSQL planned its query
    # again in every payment's transaction: about 70 us of backend CPU per payment.
    with app.app_context():
        plan = "\n".join(db.session.scalars(text(
            "EXPLAIN VERBOSE SELECT entry_search_text(reference, note) FROM transactions")))

    assert "entry_search_text" not in plan and "lower(" in plan, plan


@pytest.mark.parametrize("window", [0, 2000])
def test_q_with_dates_keeps_to_the_days_walked_or_through_the_index(app, api, long_history, monkeypatch, window):
    # The old rows are a year old, the API's are today's: each range keeps its own.
    monkeypatch.setattr(search, "WINDOW", window)
    alice = long_history
    with app.app_context():
        days = dict(db.session.execute(text(
            "SELECT t.id, (e.created_at AT TIME ZONE 'UTC')::date FROM entries AS e "
            "JOIN transactions AS t ON t.id = e.transaction_id WHERE e.account_id = :w"), {"w": alice.wallet_id}).all())
    for q in ["c", "inv-1", "é"]:
        for day in sorted(set(days.values())):
            want = [txn for txn in expected(app, alice.wallet_id, q) if days[txn] == day]

            assert ids(api, alice, q=q, **{"from": day.isoformat(), "to": day.isoformat()}) == want, (q, day)

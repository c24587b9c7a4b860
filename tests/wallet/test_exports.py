"""CSV export of a wallet's history: same rows as the JSON list, streamed in batches, safe to open
in a spreadsheet."""
from __future__ import annotations

import csv
import io

import pytest

from app.history import exports
from app.history import entries as history_module
from tests.support.errors import assert_envelope
from tests.support.history import history

COLUMNS = ["id", "created_at", "sold_at", "type", "amount", "currency", "balance_after", "counterparty", "reference", "status",
           "fee"]


def export(api, person, wallet_id=None, **params):
    return api.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}/transactions.csv", person,
                   query_string=params)


def parsed(response) -> list[dict]:
    assert response.status_code == 200, response.data
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def as_csv_row(item: dict) -> dict:
    """What the CSV should hold for one JSON history item."""
    return {"id": item["id"], "created_at": item["created_at"], "sold_at": item["sold_at"] or "", "type": item["type"], "amount": str(item["amount"]),
            "currency": item["currency"], "balance_after": str(item["balance_after"]),
            "counterparty": (item["counterparty"] or {}).get("name") or "", "reference": item["reference"] or "",
            "status": item["status"], "fee": str(item["fee"])}


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two rows, and a record of every read's size."""
    monkeypatch.setattr(exports, "BATCH", 2)
    reads = []
    original = history_module.rows_before

    def spy(account_id, filters, before, limit):
        reads.append(limit)
        return original(account_id, filters, before, limit)

    monkeypatch.setattr(history_module, "rows_before", spy)
    return reads


@pytest.mark.parametrize("params", [{}, {"type": "payment"}, {"q": "bob"}, {"type": "transfer,topup", "q": "o"}])
def test_the_csv_parses_back_to_the_rows_of_the_json_list(api, mixed, small_batches, params):
    alice, _, _ = mixed
    listed = history(api, alice, limit=100, **params).json["data"]

    rows = parsed(export(api, alice, **params))

    assert rows == [as_csv_row(item) for item in listed]
    assert rows  # every filter above matches something


def test_the_export_is_streamed_and_read_in_batches_by_the_cursor(api, mixed, small_batches):
    alice, _, _ = mixed  # five rows

    response = export(api, alice)
    chunks = list(response.response)

    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{alice.wallet_id}-transactions.csv"'
    assert small_batches == [3, 3, 3]  # batch + 1 rows per read, never the whole history
    assert len(chunks) == 3 and all(chunks)


def test_amounts_are_signed_integers_in_minor_units(api, mixed):
    alice, _, made = mixed

    rows = {row["id"]: row for row in parsed(export(api, alice))}

    assert rows[made["to_bob"]]["amount"] == "-700"  # not '-700: the amount column is a number
    assert rows[made["topup"]]["amount"] == "10000"
    assert rows[made["cake"]]["balance_after"] == str(10_000 - 700 + 200 - 450 - 300)


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+SUM(1,2)", "-2+3", "@cmd", "\tTAB"])
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(api, name):
    # given someone whose name is a formula sent Alice money
    alice = api.person(name="Alice")
    mallory = api.person(name=name, balance=1000)
    api.transfer(mallory, alice.phone, 100)

    row = parsed(export(api, alice))[0]

    assert row["counterparty"] == "'" + name
    assert row["amount"] == "100"


def test_an_empty_history_exports_only_the_header(api):
    alice = api.person()

    assert parsed(export(api, alice)) == []


def test_someone_elses_export_is_404_not_a_download(api):
    alice, bob = api.person(balance=100), api.person()

    response = export(api, bob, wallet_id=alice.wallet_id)

    assert_envelope(response, 404, "not_found")
    assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_bad_filters_on_the_export_are_422(api):
    alice = api.person(balance=100)

    assert_envelope(export(api, alice, **{"from": "2026-02-30"}), 422, "validation_error")

"""History: a wallet's transactions newest first, cursor pagination, one transaction's legs."""
from __future__ import annotations

import base64
import json

import pytest

from app.core.pagination import encode_cursor
from tests.support.errors import assert_envelope

ITEM_FIELDS = {"id", "type", "amount", "currency", "balance_after", "counterparty", "status", "reference",
               "created_at"}


def history(api, person, wallet_id=None, **params):
    return api.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}/transactions", person, query_string=params)


def all_pages(api, person, limit):
    ids, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        body = history(api, person, **params).json
        ids += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return ids
        cursor = body["next_cursor"]


def test_history_lists_every_movement_newest_first_with_signed_amounts_and_running_balances(api):
    # given Alice topped up 5000, sent Bob 1200, then received 300 back
    alice, bob = api.person(name="Alice"), api.person(name="Bob")
    topup_id = api.topup(alice, 5000).json["id"]
    sent_id = api.transfer(alice, bob.phone, 1200).json["id"]
    back_id = api.transfer(bob, alice.phone, 300).json["id"]

    # when she reads her history
    response = history(api, alice)

    # then it is newest first, signed from her side, with the balance after each
    assert response.status_code == 200
    body = response.json
    assert body["has_more"] is False and body["next_cursor"] is None
    items = body["data"]
    assert [i["id"] for i in items] == [back_id, sent_id, topup_id]
    assert [i["amount"] for i in items] == [300, -1200, 5000]
    assert [i["balance_after"] for i in items] == [4100, 3800, 5000]
    assert [i["type"] for i in items] == ["transfer", "transfer", "topup"]
    for item in items:
        assert ITEM_FIELDS <= set(item)
        assert item["currency"] == "USD"
        assert item["status"] == "succeeded"
    assert items[0]["counterparty"] == {"type": "user", "name": "Bob", "wallet_id": bob.wallet_id}
    assert items[2]["counterparty"] == {"type": "system", "name": "Top-up"}
    assert items[2]["reference"]  # the processor's reference for the charge


def test_an_empty_wallet_has_an_empty_history(api):
    alice = api.person()

    body = history(api, alice).json

    assert body == {"data": [], "has_more": False, "next_cursor": None}


def test_someone_elses_history_is_404(api):
    alice, bob = api.person(balance=100), api.person()

    assert_envelope(history(api, bob, wallet_id=alice.wallet_id), 404, "not_found")


@pytest.mark.parametrize("limit", [0, 101, -1, "ten", ""])
def test_a_page_size_outside_1_to_100_is_refused(api, limit):
    alice = api.person(balance=100)

    response = history(api, alice, limit=limit)

    error = assert_envelope(response, 422, "validation_error")
    assert any("limit" in f["field"] for f in error["details"]["fields"])


@pytest.mark.parametrize("limit", [1, 100])
def test_page_sizes_1_and_100_are_allowed(api, limit):
    alice = api.person(balance=100)

    response = history(api, alice, limit=limit)

    assert response.status_code == 200
    assert len(response.json["data"]) == 1


def test_paging_through_history_returns_every_row_once(api):
    # given Alice received seven transfers
    alice, bob = api.person(), api.person(balance=10_000)
    sent = [api.transfer(bob, alice.phone, 100 + n).json["id"] for n in range(7)]

    # when she pages through with 3 per page
    ids = all_pages(api, alice, limit=3)

    # then she saw all seven, newest first, none twice
    assert ids == list(reversed(sent))


def test_a_page_exactly_full_says_there_is_no_more(api):
    alice, bob = api.person(), api.person(balance=10_000)
    for n in range(4):
        api.transfer(bob, alice.phone, 100 + n)

    first = history(api, alice, limit=2).json
    second = history(api, alice, limit=2, cursor=first["next_cursor"]).json

    assert first["has_more"] is True and first["next_cursor"]
    assert len(second["data"]) == 2
    assert second["has_more"] is False and second["next_cursor"] is None


def test_new_payments_arriving_between_pages_neither_shift_nor_repeat_later_pages(api):
    # given Alice has received six transfers
    alice, bob = api.person(), api.person(balance=100_000)
    before = [api.transfer(bob, alice.phone, 100 + n).json["id"] for n in range(6)]
    newest_first = list(reversed(before))

    # when she reads the first page of two ...
    page1 = history(api, alice, limit=2).json
    # ... three more payments arrive ...
    during = [api.transfer(bob, alice.phone, 500 + n).json["id"] for n in range(3)]
    # ... and she reads on, with more arriving again before the last page
    page2 = history(api, alice, limit=2, cursor=page1["next_cursor"]).json
    api.transfer(bob, alice.phone, 999)
    page3 = history(api, alice, limit=2, cursor=page2["next_cursor"]).json

    # then the pages continue where she left off: no row skipped, none repeated
    seen = [i["id"] for p in (page1, page2, page3) for i in p["data"]]
    assert seen == newest_first
    assert page3["has_more"] is False
    # and the new payments are at the top of a fresh first page
    fresh = [i["id"] for i in history(api, alice, limit=4).json["data"]]
    assert fresh[1:] == list(reversed(during))


@pytest.mark.parametrize("cursor", [
    "garbage",
    "!!!",
    "e30",  # {}
    base64.urlsafe_b64encode(b'{"p": -1}').decode(),
    base64.urlsafe_b64encode(b'{"p": "3"}').decode(),
    base64.urlsafe_b64encode(b'{"p": true}').decode(),
    base64.urlsafe_b64encode(b'[1]').decode(),
    base64.urlsafe_b64encode(b'{"p": 1.5}').decode(),
    "x" * 201,
])
def test_a_cursor_the_api_did_not_issue_is_refused(api, cursor):
    alice = api.person(balance=100)

    response = history(api, alice, cursor=cursor)

    error = assert_envelope(response, 422, "validation_error")
    assert any("cursor" in f["field"] for f in error["details"]["fields"])


def test_a_cursor_with_an_enormous_position_is_refused_not_a_500(api):
    # given a well-formed cursor whose position no database integer can hold
    alice = api.person(balance=100)
    cursor = base64.urlsafe_b64encode(json.dumps({"p": 2 ** 64}).encode()).decode().rstrip("=")

    # when it is used
    response = history(api, alice, cursor=cursor)

    # then it is a client error, not a crash
    assert_envelope(response, 422, "validation_error")


def test_a_cursor_past_the_oldest_row_gives_an_empty_page(api):
    alice = api.person(balance=100)

    body = history(api, alice, cursor=encode_cursor(1)).json

    assert body == {"data": [], "has_more": False, "next_cursor": None}


def test_transaction_detail_shows_the_posted_leg_with_both_accounts(api):
    # given Alice sent Bob 1200
    alice, bob = api.person(balance=5000), api.person()
    txn = api.transfer(alice, bob.phone, 1200).json

    # when Alice reads the transaction
    response = api.get(f"/api/v1/transactions/{txn['id']}", alice)

    # then it is the same transaction as the transfer answered, plus one posted leg
    assert response.status_code == 200, response.json
    detail = response.json
    receipt_only = {"legs", "merchant", "terminal", "terminal_id", "refunds", "related_id"}
    assert {k: v for k, v in detail.items() if k not in receipt_only} == txn
    assert (detail["merchant"], detail["terminal"], detail["refunds"]) == (None, None, [])
    assert len(detail["legs"]) == 1
    leg = detail["legs"][0]
    assert leg["kind"] == "posted"
    assert leg["debit_account_id"] == alice.wallet_id
    assert leg["credit_account_id"] == bob.wallet_id
    assert leg["amount"] == 1200
    assert leg["currency"] == "USD"
    assert leg["pending_id"] is None
    assert leg["id"].startswith("trf_")


def test_a_topups_leg_comes_from_the_topup_float(api):
    alice = api.person()
    txn_id = api.topup(alice, 800).json["id"]

    legs = api.get(f"/api/v1/transactions/{txn_id}", alice).json["legs"]

    assert [(leg["kind"], leg["credit_account_id"], leg["amount"]) for leg in legs] == \
        [("posted", alice.wallet_id, 800)]
    assert legs[0]["debit_account_id"].startswith("acc_")


def test_a_stranger_cannot_read_a_transaction(api):
    # given a transfer between Alice and Bob, and Carol
    alice, bob, carol = api.person(balance=5000), api.person(), api.person()
    txn_id = api.transfer(alice, bob.phone, 100).json["id"]

    # when Carol asks for it, or for one that does not exist
    theirs = api.get(f"/api/v1/transactions/{txn_id}", carol)
    missing = api.get("/api/v1/transactions/txn_nope", carol)

    # then both are the same 404
    assert_envelope(theirs, 404, "not_found")
    assert theirs.json == missing.json

"""Wallets: listing, opening one per currency, reading one; and the input rules every
money-moving request shares (amounts, unknown fields, malformed and oversized bodies)."""
from __future__ import annotations

import json

import pytest

from tests.support.errors import assert_envelope
from tests.support.ledger import entry_rows, transaction_rows

WALLET_FIELDS = {"id", "currency", "balance", "available", "held", "status", "frozen", "created_at"}
BAD_AMOUNTS = [12.5, 12.0, "100", True, 0, -5, 100_000_001]


# --- listing and reading --------------------------------------------------------------------

def test_a_verified_person_has_one_empty_usd_wallet(api):
    # given a person who has just verified their phone
    alice = api.person()

    # when they list their wallets
    response = api.get("/api/v1/wallets", alice)

    # then there is exactly one, in USD, empty and active
    assert response.status_code == 200
    wallets = response.json["data"]
    assert len(wallets) == 1
    wallet = wallets[0]
    assert set(wallet) == WALLET_FIELDS
    assert wallet["id"] == alice.wallet_id and wallet["id"].startswith("wal_")
    assert wallet["currency"] == "USD"
    assert (wallet["balance"], wallet["available"], wallet["held"]) == (0, 0, 0)
    assert wallet["status"] == "active"
    assert "T" in wallet["created_at"] and wallet["created_at"].endswith("+00:00")


def test_listing_wallets_needs_a_signed_in_person(api):
    response = api.get("/api/v1/wallets")

    assert_envelope(response, 401, "unauthorized")


def test_reading_one_wallet_shows_its_balance(api):
    # given a person with 2500 in their wallet
    alice = api.person(balance=2500)

    # when they read the wallet
    response = api.get(f"/api/v1/wallets/{alice.wallet_id}", alice)

    # then it has the same fields as in the list, with the money in it
    assert response.status_code == 200
    assert set(response.json) == WALLET_FIELDS
    assert response.json["id"] == alice.wallet_id
    assert (response.json["balance"], response.json["available"], response.json["held"]) == (2500, 2500, 0)


def test_someone_elses_wallet_looks_like_a_missing_one(api):
    # given two people
    alice, bob = api.person(), api.person()

    # when Bob reads Alice's wallet and a wallet that does not exist
    theirs = api.get(f"/api/v1/wallets/{alice.wallet_id}", bob)
    missing = api.get("/api/v1/wallets/wal_doesnotexist", bob)

    # then both are the same 404
    assert_envelope(theirs, 404, "not_found")
    assert_envelope(missing, 404, "not_found")
    assert theirs.json == missing.json


# --- opening wallets --------------------------------------------------------------------------

def test_opening_a_euro_wallet_adds_it_to_the_list(api):
    # given a person with only the USD wallet
    alice = api.person()

    # when they open a EUR wallet
    response = api.post("/api/v1/wallets", alice, json={"currency": "EUR"})

    # then it is created empty, and listed after the USD one
    assert response.status_code == 201, response.json
    assert set(response.json) == WALLET_FIELDS
    assert response.json["currency"] == "EUR"
    assert response.json["balance"] == 0
    assert response.json["id"] != alice.wallet_id
    listed = api.get("/api/v1/wallets", alice).json["data"]
    assert [w["currency"] for w in listed] == ["USD", "EUR"]
    assert api.wallet(alice, response.json["id"]) == response.json


def test_opening_a_second_wallet_in_the_same_currency_is_a_conflict(api):
    # given a person who opened a EUR wallet
    alice = api.person()
    assert api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).status_code == 201

    # when they open another one, and one in USD which they had from the start
    again = api.post("/api/v1/wallets", alice, json={"currency": "EUR"})
    usd = api.post("/api/v1/wallets", alice, json={"currency": "USD"})

    # then both are refused and they still have two wallets
    assert_envelope(again, 409, "already_exists")
    assert_envelope(usd, 409, "already_exists")
    assert len(api.get("/api/v1/wallets", alice).json["data"]) == 2


@pytest.mark.parametrize("currency", ["XYZ", "usd", "US", "USDD", "", 840, None])
def test_a_wallet_in_an_unknown_or_misspelt_currency_is_refused(api, currency):
    # given a person
    alice = api.person()

    # when they ask for a wallet in something that is not one of our currency codes
    response = api.post("/api/v1/wallets", alice, json={"currency": currency})

    # then it is a validation error and no wallet was opened
    error = assert_envelope(response, 422, "validation_error")
    assert any(f["field"].endswith("currency") for f in error["details"]["fields"])
    assert len(api.get("/api/v1/wallets", alice).json["data"]) == 1


def test_opening_a_wallet_refuses_unknown_fields(api):
    alice = api.person()

    response = api.post("/api/v1/wallets", alice, json={"currency": "EUR", "balance": 100000})

    assert_envelope(response, 422, "validation_error")
    assert len(api.get("/api/v1/wallets", alice).json["data"]) == 1


# --- amounts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_a_topup_with_an_amount_that_is_not_a_positive_integer_within_the_limit_moves_nothing(app, api, amount):
    # given a person with 1000
    alice = api.person(balance=1000)
    rows_before, entries_before = transaction_rows(app), entry_rows(app)

    # when they top up a float, a string, a boolean, zero, a negative or more than MAX_AMOUNT
    response = api.post(f"/api/v1/wallets/{alice.wallet_id}/topups", alice,
                        json={"amount": amount, "source": "tok_visa"}, key="k-amount")

    # then the schema refuses it and no money moved
    error = assert_envelope(response, 422, "validation_error")
    assert any(f["field"].endswith("amount") for f in error["details"]["fields"])
    assert api.wallet(alice)["balance"] == 1000
    assert (transaction_rows(app), entry_rows(app)) == (rows_before, entries_before)


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_a_transfer_with_an_amount_that_is_not_a_positive_integer_within_the_limit_moves_nothing(app, api, amount):
    # given Alice with 1000 and Bob with nothing
    alice, bob = api.person(balance=1000), api.person()
    rows_before = transaction_rows(app)

    # when Alice sends a bad amount
    response = api.transfer(alice, bob.phone, amount, key="k-amount")

    # then the schema refuses it and nothing moved
    error = assert_envelope(response, 422, "validation_error")
    assert any(f["field"].endswith("amount") for f in error["details"]["fields"])
    assert api.wallet(alice)["balance"] == 1000
    assert api.wallet(bob)["balance"] == 0
    assert transaction_rows(app) == rows_before


def test_the_largest_allowed_amount_is_max_amount_itself(app, api):
    # given a person and the configured MAX_AMOUNT (which equals the balance cap)
    alice = api.person()
    limit = app.config["MAX_AMOUNT"]

    # when they top up exactly MAX_AMOUNT
    response = api.post(f"/api/v1/wallets/{alice.wallet_id}/topups", alice,
                        json={"amount": limit, "source": "tok_visa"})

    # then it is accepted
    assert response.status_code == 201, response.json
    assert api.wallet(alice)["balance"] == limit


@pytest.mark.parametrize("path_kind", ["topup", "transfer"])
def test_unknown_fields_in_a_money_request_are_refused(app, api, path_kind):
    # given Alice with money and Bob
    alice, bob = api.person(balance=1000), api.person()

    # when a request carries a field the API does not define
    if path_kind == "topup":
        response = api.post(f"/api/v1/wallets/{alice.wallet_id}/topups", alice,
                            json={"amount": 100, "source": "tok_visa", "fee": -100})
    else:
        response = api.transfer(alice, bob.phone, 100, fee=-100)

    # then it is refused, naming the field, and nothing moved
    error = assert_envelope(response, 422, "validation_error")
    assert any("fee" in f["field"] for f in error["details"]["fields"])
    assert api.wallet(alice)["balance"] == 1000
    assert transaction_rows(app) == 1


@pytest.mark.parametrize("data, content_type", [
    ('{"amount": 100, "source": "tok_visa"', "application/json"),   # truncated JSON
    ("{'amount': 100}", "application/json"),                         # not JSON at all
    ("", "application/json"),                                         # empty body
    ("[1, 2, 3]", "application/json"),                                # JSON, but not an object
    ('"tok_visa"', "application/json"),                               # a bare string
    ("null", "application/json"),
    ("amount=100&source=tok_visa", "application/x-www-form-urlencoded"),
    ('{"amount": 100, "source": "tok_visa"}', "text/plain"),
    (b"\xff\xfe{\x00", "application/json"),                        # not UTF-8
])
def test_a_body_that_is_not_a_json_object_is_a_4xx_envelope_never_a_500(app, api, data, content_type):
    # given a person with money
    alice = api.person(balance=1000)

    # when the top-up body is malformed or not JSON
    response = api.client.post(f"/api/v1/wallets/{alice.wallet_id}/topups", data=data,
                               content_type=content_type, headers=alice.auth)

    # then the answer is a client error in the usual envelope, and nothing moved
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert_envelope(response, response.status_code)
    assert api.wallet(alice)["balance"] == 1000


def test_a_malformed_transfer_body_is_a_4xx_envelope(api):
    alice = api.person(balance=1000)

    response = api.client.post("/api/v1/transfers", data="{to: nobody", content_type="application/json",
                               headers=alice.auth)

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


def test_a_body_over_max_content_length_is_refused_with_413(app, api):
    # given a person, and a body just over the 64 KiB limit
    alice, bob = api.person(balance=1000), api.person()
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    body = json.dumps({"to": bob.phone, "amount": 100, "currency": "USD", "note": "x" * (64 * 1024)})

    # when they send it
    response = api.client.post("/api/v1/transfers", data=body, content_type="application/json",
                               headers=alice.auth)

    # then it is refused as too large, in the envelope, and nothing moved
    assert_envelope(response, 413, "payload_too_large")
    assert api.wallet(alice)["balance"] == 1000

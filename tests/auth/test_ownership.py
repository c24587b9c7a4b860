"""One person's wallets, transactions and sessions are invisible to everyone else."""
from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def ann_and_bob(api):
    return api.person(name="Ann", balance=5000), api.person(name="Bob", balance=7000)


def bobs_transaction_id(api, bob) -> str:
    return api.get(f"/api/v1/wallets/{bob.wallet_id}/transactions", bob).json["data"][0]["id"]


def test_reading_someone_elses_wallet_looks_exactly_like_a_missing_one(api, ann_and_bob):
    ann, bob = ann_and_bob

    theirs = api.get(f"/api/v1/wallets/{bob.wallet_id}", ann)
    missing = api.get("/api/v1/wallets/wal_doesnotexist000000000000", ann)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json == missing.json
    assert theirs.json["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/wallets/{bob.wallet_id}", bob).status_code == 200


def test_reading_someone_elses_transaction_is_not_found(api, ann_and_bob):
    ann, bob = ann_and_bob
    transaction_id = bobs_transaction_id(api, bob)

    response = api.get(f"/api/v1/transactions/{transaction_id}", ann)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/transactions/{transaction_id}", bob).status_code == 200


def test_reading_someone_elses_history_is_not_found(api, ann_and_bob):
    ann, bob = ann_and_bob

    response = api.get(f"/api/v1/wallets/{bob.wallet_id}/transactions", ann)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_topping_up_someone_elses_wallet_is_not_found_and_moves_nothing(api, ann_and_bob):
    ann, bob = ann_and_bob

    response = api.post(f"/api/v1/wallets/{bob.wallet_id}/topups", ann, json={"amount": 100, "source": "tok_visa"},
                        key=str(uuid.uuid4()))

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.wallet(bob)["balance"] == 7000


def test_ending_someone_elses_session_is_not_found(api, ann_and_bob):
    ann, bob = ann_and_bob
    bob_session = api.get("/api/v1/auth/sessions", bob).json["data"][0]["id"]

    response = api.client.delete(f"/api/v1/auth/sessions/{bob_session}", headers=ann.auth)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.get("/api/v1/me", bob).status_code == 200


def test_the_other_persons_sessions_are_not_listed(api, ann_and_bob):
    ann, bob = ann_and_bob

    ids = {row["id"] for row in api.get("/api/v1/auth/sessions", ann).json["data"]}
    bob_ids = {row["id"] for row in api.get("/api/v1/auth/sessions", bob).json["data"]}

    assert ids and bob_ids and not ids & bob_ids


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/me"), ("get", "/api/v1/wallets"), ("get", "/api/v1/auth/sessions"),
    ("post", "/api/v1/transfers"), ("get", "/api/v1/transactions/txn_x"), ("put", "/api/v1/me/pin"),
    ("post", "/api/v1/auth/logout"),
])
def test_without_a_token_every_account_endpoint_is_unauthorized(api, method, path):
    response = getattr(api.client, method)(path, json={})

    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"

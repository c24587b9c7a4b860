"""A wallet's history as the app reads it; a shop and a QR payment to fill it; the `mixed` fixture
(a top-up, transfers both ways and two QR payments), used by the history, export, receipt and
statement tests."""
from __future__ import annotations

import uuid

import pytest

from app.core import clock
from tests.support.qr import make_code, make_merchant, pay


def history(api, person, wallet_id=None, **params):
    return api.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}/transactions", person, query_string=params)


def ids(api, person, **params) -> list[str]:
    response = history(api, person, **params)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["data"]]


def later(api, seconds, *people):
    """Move the clock on; the access tokens have expired by then, so sign the people in again."""
    clock.advance(seconds)
    for person in people:
        response = api.client.post("/api/v1/auth/login", json={"identifier": person.identifier,
                                                              "password": person.password})
        assert response.status_code == 200, response.json
        person.tokens = response.json


def shop(app, api, *, name="Kopi Corner", city="Singapore"):
    owner = api.person(name=f"{name} owner")
    return owner, make_merchant(app, api, owner=owner, name=name, city=city)


def qr_payment(api, owner, merchant, payer, amount, *, reference=None) -> str:
    code = make_code(api, owner, merchant, amount=amount, reference=reference)
    response = pay(api, payer, code["payload"], key=str(uuid.uuid4()))
    assert response.status_code == 201, response.json
    return response.json["transaction_id"] if "transaction_id" in response.json else response.json["id"]


@pytest.fixture
def mixed(app, api):
    """Alice: a top-up, a transfer to Bob with a note, one back from Bob, two QR payments."""
    alice, bob = api.person(name="Alice"), api.person(name="Bob Marley", balance=5000)
    owner, merchant = shop(app, api)
    made = {"topup": api.topup(alice, 10_000).json["id"]}
    made["to_bob"] = api.transfer(alice, bob.phone, 700, note="Pizza 50% share").json["id"]
    made["from_bob"] = api.transfer(bob, alice.phone, 200).json["id"]
    made["coffee"] = qr_payment(api, owner, merchant, alice, 450, reference="T12-0042")
    made["cake"] = qr_payment(api, owner, merchant, alice, 300, reference="T12-0043")
    return alice, bob, made

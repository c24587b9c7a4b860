"""Top-ups: money in from a funding source (the sandbox's test tokens)."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import Transaction
from tests.support.errors import assert_envelope


def topup(api, person, amount, source="tok_visa", wallet_id=None, key=None):
    return api.post(f"/api/v1/wallets/{wallet_id or person.wallet_id}/topups", person,
                    json={"amount": amount, "source": source}, key=key or str(uuid.uuid4()))


def transaction_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Transaction)).scalar_one()


@contextmanager
def config(app, **values):
    saved = {name: app.config[name] for name in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def test_a_visa_topup_succeeds_and_credits_the_wallet(api):
    # given a person with an empty wallet
    alice = api.person()

    # when they top up 2500 from the sandbox's good card
    response = topup(api, alice, 2500)

    # then the top-up succeeded, and the wallet holds the money
    assert response.status_code == 201, response.json
    assert set(response.json) == {"id", "status", "amount", "currency", "wallet_id", "fee", "created_at"}
    assert response.json["id"].startswith("txn_")
    assert response.json["status"] == "succeeded"
    assert response.json["amount"] == 2500
    assert response.json["currency"] == "USD"
    assert response.json["wallet_id"] == alice.wallet_id
    assert "T" in response.json["created_at"]
    wallet = api.wallet(alice)
    assert (wallet["balance"], wallet["available"], wallet["held"]) == (2500, 2500, 0)
    assert api.verify_ledger() == []


def test_a_topup_id_is_the_transaction_id_history_and_detail_use(api):
    # given a person who topped up
    alice = api.person()
    txn_id = topup(api, alice, 700).json["id"]

    # when they read the transaction and the wallet's history
    detail = api.get(f"/api/v1/transactions/{txn_id}", alice)
    history = api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions", alice).json["data"]

    # then both know the top-up by that id
    assert detail.status_code == 200, detail.json
    assert detail.json["id"] == txn_id
    assert detail.json["type"] == "topup"
    assert detail.json["amount"] == 700
    assert detail.json["balance_after"] == 700
    assert detail.json["counterparty"] == {"type": "system", "name": "Top-up"}
    assert [item["id"] for item in history] == [txn_id]


def test_a_topup_into_a_second_currency_wallet_credits_that_wallet_only(api):
    # given a person with a EUR wallet besides the USD one
    alice = api.person()
    eur = api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).json["id"]

    # when they top up the EUR wallet
    response = topup(api, alice, 900, wallet_id=eur)

    # then the money is in EUR and the USD wallet is untouched
    assert response.status_code == 201
    assert response.json["currency"] == "EUR"
    assert api.wallet(alice, eur)["balance"] == 900
    assert api.wallet(alice)["balance"] == 0
    assert api.verify_ledger() == []


def test_a_declined_card_is_402_card_declined_and_moves_nothing(app, api):
    alice = api.person(balance=100)

    response = topup(api, alice, 500, source="tok_chargeDeclined")

    error = assert_envelope(response, 402, "card_declined")
    assert error["details"] == {"source": "tok_chargeDeclined"}
    assert api.wallet(alice)["balance"] == 100
    assert transaction_rows(app) == 1


def test_a_card_without_funds_is_402_insufficient_funds_and_moves_nothing(app, api):
    alice = api.person(balance=100)

    response = topup(api, alice, 500, source="tok_insufficientFunds")

    assert_envelope(response, 402, "insufficient_funds")
    assert api.wallet(alice)["balance"] == 100
    assert transaction_rows(app) == 1


def test_an_unknown_funding_token_is_a_validation_error(app, api):
    alice = api.person()

    response = topup(api, alice, 500, source="tok_mastercard")

    error = assert_envelope(response, 422, "validation_error")
    assert error["details"]["fields"][0]["field"] == "source"
    assert api.wallet(alice)["balance"] == 0
    assert transaction_rows(app) == 0


def test_an_empty_funding_source_is_refused_by_the_schema(api):
    alice = api.person()

    response = topup(api, alice, 500, source="")

    assert_envelope(response, 422, "validation_error")


def test_a_topup_that_would_pass_the_maximum_balance_is_refused(app, api):
    # given a wallet cap of 10000 and a person holding 6000
    alice = api.person(balance=6000)
    with config(app, MAX_WALLET_BALANCE=10_000):
        # when they top up 4001 (one over) and then exactly 4000
        over = topup(api, alice, 4001)
        exact = topup(api, alice, 4000)
        # and then one more unit
        after = topup(api, alice, 1)

    # then the first is refused with the cap in the details, the second fills it, the third is refused
    error = assert_envelope(over, 422, "balance_limit_exceeded")
    assert error["details"] == {"max_balance": 10_000}
    assert exact.status_code == 201, exact.json
    assert_envelope(after, 422, "balance_limit_exceeded")
    assert api.wallet(alice)["balance"] == 10_000
    assert app.config["MAX_WALLET_BALANCE"] == 100_000_000
    assert api.verify_ledger() == []


def test_a_topup_into_someone_elses_wallet_is_404_and_moves_nothing(app, api):
    # given Alice and Bob
    alice, bob = api.person(), api.person(balance=300)

    # when Alice tries to top up Bob's wallet
    response = topup(api, alice, 500, wallet_id=bob.wallet_id)

    # then Bob's wallet looks missing to her, and stays as it was
    assert_envelope(response, 404, "not_found")
    assert api.wallet(bob)["balance"] == 300
    assert transaction_rows(app) == 1


def test_a_topup_into_a_wallet_that_does_not_exist_is_404(api):
    alice = api.person()

    response = topup(api, alice, 500, wallet_id="wal_nope")

    assert_envelope(response, 404, "not_found")


def test_a_topup_into_a_frozen_wallet_is_refused(app, api):
    from app.wallet.models import Account
    alice = api.person(balance=100)
    with app.app_context():
        db.session.get(Account, alice.wallet_id).status = "frozen"
        db.session.commit()

    response = topup(api, alice, 500)

    assert_envelope(response, 403, "wallet_frozen")
    assert api.wallet(alice)["balance"] == 100


def test_topping_up_needs_a_signed_in_person(api):
    # given no bearer token, when someone posts a top-up, then it is 401
    response = api.client.post("/api/v1/wallets/wal_x/topups", json={"amount": 100, "source": "tok_visa"})

    assert_envelope(response, 401, "unauthorized")

"""Transfers: sending money to a phone number, an e-mail address or a wallet id."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import Account, Transaction
from tests.support.errors import assert_envelope

TRANSACTION_FIELDS = {"id", "type", "amount", "currency", "balance_after", "counterparty", "status",
                      "reference", "note", "wallet_id", "fee", "created_at"}


def transaction_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Transaction)).scalar_one()


def set_status(app, wallet_id: str, status: str) -> None:
    with app.app_context():
        db.session.get(Account, wallet_id).status = status
        db.session.commit()


def open_wallet(api, person, currency: str) -> str:
    response = api.post("/api/v1/wallets", person, json={"currency": currency})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_sending_to_a_phone_number_moves_the_money_and_answers_with_the_senders_side(api):
    # given Alice with 5000 and Bob with nothing
    alice, bob = api.person(name="Alice", balance=5000), api.person(name="Bob")

    # when Alice sends Bob 1200 by phone number
    response = api.transfer(alice, bob.phone, 1200, note="lunch")

    # then the answer is the transaction as Alice's wallet sees it
    assert response.status_code == 201, response.json
    txn = response.json
    assert set(txn) == TRANSACTION_FIELDS
    assert txn["id"].startswith("txn_")
    assert txn["type"] == "transfer"
    assert txn["amount"] == -1200
    assert txn["currency"] == "USD"
    assert txn["balance_after"] == 3800
    assert txn["counterparty"] == {"type": "user", "name": "Bob", "wallet_id": bob.wallet_id}
    assert txn["status"] == "succeeded"
    assert txn["note"] == "lunch"
    assert txn["wallet_id"] == alice.wallet_id
    assert "T" in txn["created_at"]
    # and the money moved
    assert api.wallet(alice)["balance"] == 3800
    assert api.wallet(bob)["balance"] == 1200
    assert api.verify_ledger() == []


def test_sending_to_an_email_address_reaches_that_person(api):
    # given Alice with money and Bob who signed up with e-mail only
    alice = api.person(balance=5000)
    bob = api.person(name="Bob", phone=None, email="bob@example.com")

    # when Alice sends to Bob's address, typed with capitals and spaces
    response = api.transfer(alice, "  Bob@Example.COM ", 300)

    # then Bob receives it
    assert response.status_code == 201, response.json
    assert response.json["counterparty"]["wallet_id"] == bob.wallet_id
    assert api.wallet(bob)["balance"] == 300


def test_sending_to_a_wallet_id_reaches_that_wallet(api):
    alice, bob = api.person(balance=5000), api.person(name="Bob")

    response = api.transfer(alice, bob.wallet_id, 450)

    assert response.status_code == 201, response.json
    assert response.json["amount"] == -450
    assert api.wallet(bob)["balance"] == 450
    assert api.wallet(alice)["balance"] == 4550


def test_the_recipient_sees_the_same_transaction_as_incoming(api):
    # given Alice sent Bob 1000
    alice, bob = api.person(name="Alice", balance=5000), api.person(name="Bob")
    txn_id = api.transfer(alice, bob.phone, 1000).json["id"]

    # when Bob reads it
    response = api.get(f"/api/v1/transactions/{txn_id}", bob)

    # then it is positive from his side, names Alice, and shows his balance
    assert response.status_code == 200
    assert response.json["amount"] == 1000
    assert response.json["balance_after"] == 1000
    assert response.json["counterparty"] == {"type": "user", "name": "Alice", "wallet_id": alice.wallet_id}
    assert response.json["wallet_id"] == bob.wallet_id


def test_sending_to_yourself_is_refused(app, api):
    # given Alice with money
    alice = api.person(balance=5000)
    rows = transaction_rows(app)

    # when she sends to her own phone and her own wallet id
    by_phone = api.transfer(alice, alice.phone, 100)
    by_wallet = api.transfer(alice, alice.wallet_id, 100)

    # then both are self_transfer and nothing moved
    assert_envelope(by_phone, 422, "self_transfer")
    assert_envelope(by_wallet, 422, "self_transfer")
    assert api.wallet(alice)["balance"] == 5000
    assert transaction_rows(app) == rows


def test_sending_to_nobody_we_know_is_recipient_not_found(app, api):
    alice = api.person(balance=5000)

    responses = [api.transfer(alice, to, 100)
                 for to in ("+6599999999", "nobody@example.com", "wal_doesnotexist")]

    for response in responses:
        assert_envelope(response, 404, "recipient_not_found")
    assert api.wallet(alice)["balance"] == 5000
    assert transaction_rows(app) == 1


def test_sending_to_an_unverified_person_is_recipient_not_found(api):
    # given Bob registered but never verified
    alice = api.person(balance=5000)
    bob = api.person(verified=False)

    response = api.transfer(alice, bob.phone, 100)

    assert_envelope(response, 404, "recipient_not_found")


def test_sending_a_currency_the_recipient_has_no_wallet_for_is_refused(app, api):
    # given Alice with 3000 EUR and Bob with only a USD wallet
    alice, bob = api.person(), api.person()
    eur = open_wallet(api, alice, "EUR")
    api.topup(alice, 3000, wallet_id=eur)

    # when Alice sends EUR to Bob's phone, and to his USD wallet id
    by_phone = api.transfer(alice, bob.phone, 100, currency="EUR")
    by_wallet = api.transfer(alice, bob.wallet_id, 100, currency="EUR")

    # then both are currency_not_supported and nothing moved
    assert_envelope(by_phone, 422, "currency_not_supported")
    assert_envelope(by_wallet, 422, "currency_not_supported")
    assert api.wallet(alice, eur)["balance"] == 3000
    assert api.wallet(bob)["balance"] == 0


def test_sending_a_currency_you_have_no_wallet_for_is_refused(api):
    # given Bob has a EUR wallet, Alice only USD
    alice, bob = api.person(balance=5000), api.person()
    open_wallet(api, bob, "EUR")

    # when Alice sends EUR
    response = api.transfer(alice, bob.phone, 100, currency="EUR")

    # then she is told she has no such wallet
    error = assert_envelope(response, 422, "currency_not_supported")
    assert "you" in error["message"]
    assert api.wallet(alice)["balance"] == 5000


def test_a_transfer_between_euro_wallets_leaves_the_dollar_wallets_alone(api):
    alice, bob = api.person(balance=100), api.person()
    alice_eur, bob_eur = open_wallet(api, alice, "EUR"), open_wallet(api, bob, "EUR")
    api.topup(alice, 2000, wallet_id=alice_eur)

    response = api.transfer(alice, bob.email or bob.phone, 750, currency="EUR")

    assert response.status_code == 201, response.json
    assert response.json["currency"] == "EUR"
    assert api.wallet(bob, bob_eur)["balance"] == 750
    assert api.wallet(alice, alice_eur)["balance"] == 1250
    assert (api.wallet(alice)["balance"], api.wallet(bob)["balance"]) == (100, 0)
    assert api.verify_ledger() == []


def test_sending_more_than_you_have_is_402_and_nothing_moves(app, api):
    # given Alice with 1000
    alice, bob = api.person(balance=1000), api.person()
    rows = transaction_rows(app)

    # when she sends 1001
    response = api.transfer(alice, bob.phone, 1001)

    # then it is insufficient_funds, telling her what she has, and nothing moved
    error = assert_envelope(response, 402, "insufficient_funds")
    assert error["details"] == {"available": 1000, "requested": 1001}
    assert api.wallet(alice)["balance"] == 1000
    assert api.wallet(bob)["balance"] == 0
    assert transaction_rows(app) == rows
    assert api.verify_ledger() == []


def test_sending_everything_you_have_empties_the_wallet(api):
    alice, bob = api.person(balance=1000), api.person()

    response = api.transfer(alice, bob.phone, 1000)

    assert response.status_code == 201
    assert response.json["balance_after"] == 0
    assert api.wallet(alice)["balance"] == 0


def test_sending_to_a_frozen_wallet_is_recipient_frozen(app, api):
    # given Bob's wallet is frozen
    alice, bob = api.person(balance=1000), api.person()
    set_status(app, bob.wallet_id, "frozen")

    # when Alice sends to him by phone and by wallet id
    responses = [api.transfer(alice, bob.phone, 100), api.transfer(alice, bob.wallet_id, 100)]

    # then both are refused and nothing moved
    for response in responses:
        assert_envelope(response, 403, "recipient_frozen")
    assert api.wallet(alice)["balance"] == 1000
    assert api.wallet(bob)["balance"] == 0


def test_a_frozen_sender_cannot_send(app, api):
    # given Alice's wallet is frozen
    alice, bob = api.person(balance=1000), api.person()
    set_status(app, alice.wallet_id, "frozen")

    # when she sends
    response = api.transfer(alice, bob.phone, 100)

    # then it is wallet_frozen and nothing moved
    assert_envelope(response, 403, "wallet_frozen")
    assert api.wallet(bob)["balance"] == 0
    assert api.wallet(alice)["balance"] == 1000


def test_a_transfer_that_would_pass_the_recipients_maximum_balance_is_refused(app, api):
    alice, bob = api.person(balance=5000), api.person(balance=8000)
    saved = app.config["MAX_WALLET_BALANCE"]
    app.config["MAX_WALLET_BALANCE"] = 10_000
    try:
        response = api.transfer(alice, bob.phone, 2001)
    finally:
        app.config["MAX_WALLET_BALANCE"] = saved

    assert_envelope(response, 422, "balance_limit_exceeded")
    assert (api.wallet(alice)["balance"], api.wallet(bob)["balance"]) == (5000, 8000)


def test_a_transfer_above_the_no_pin_amount_needs_the_pin(app, api):
    # given Alice with plenty, who set no PIN
    alice, bob = api.person(balance=50_000), api.person()
    over = app.config["NO_PIN_AMOUNT"] + 1

    # when she sends more than NO_PIN_AMOUNT without a PIN
    response = api.transfer(alice, bob.phone, over, key=str(uuid.uuid4()))

    # then she is asked for it and nothing moved
    assert_envelope(response, 403, "pin_required")
    assert api.wallet(alice)["balance"] == 50_000


def test_a_transfer_needs_every_required_field(api):
    alice, bob = api.person(balance=1000), api.person()

    missing_to = api.post("/api/v1/transfers", alice, json={"amount": 100, "currency": "USD"})
    missing_currency = api.post("/api/v1/transfers", alice, json={"to": bob.phone, "amount": 100})
    bad_currency = api.transfer(alice, bob.phone, 100, currency="usd")

    for response in (missing_to, missing_currency, bad_currency):
        assert_envelope(response, 422, "validation_error")
    assert api.wallet(alice)["balance"] == 1000


def test_a_disabled_person_cannot_receive_money_by_any_address(app, api):
    # given Bob's account was disabled (his wallet itself is still active)
    from app.auth.models import User
    alice, bob = api.person(balance=1000), api.person()
    with app.app_context():
        db.session.get(User, bob.id).status = "disabled"
        db.session.commit()

    # when Alice sends to his phone and to his wallet id
    responses = [api.transfer(alice, bob.phone, 100), api.transfer(alice, bob.wallet_id, 100)]

    # then both are recipient_not_found, as if he did not exist, and nothing moved
    for response in responses:
        assert_envelope(response, 404, "recipient_not_found")
    assert api.wallet(alice)["balance"] == 1000
    with app.app_context():
        assert db.session.get(Account, bob.wallet_id).balance == 0

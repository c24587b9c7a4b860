"""A terminal charges the code the customer shows: success, idempotent retries, every refusal."""
from __future__ import annotations

import uuid

import pytest

from app.core.store import get_store
from tests.support.auth import advance
from tests.support.payment_codes import balance, charge, charged, phone_of
from tests.support.qr import merchant_balance, payment_count
from tests.support.terminals import make_terminal


def transaction_row(app, txn_id: str):
    from app.extensions import db
    from app.wallet.models import Transaction
    with app.app_context():
        txn = db.session.get(Transaction, txn_id)
        db.session.expunge(txn)
        return txn


def set_wallet_status(app, wallet_id: str, status: str) -> None:
    from app.extensions import db
    from app.wallet.models import Account
    with app.app_context():
        db.session.get(Account, wallet_id).status = status
        db.session.commit()


def wrong_otp(code: str) -> str:
    return code[:10] + f"{(int(code[10:]) + 1) % 10 ** 8:08d}"


def test_a_small_charge_succeeds_at_once_and_moves_the_money(app, api):
    # given a shop terminal and a customer with 50.00 and a phone
    terminal = make_terminal(api)
    alice = api.person(name="Alice Dupont", balance=5000)
    phone = phone_of(api, alice)

    # when the till charges 12.50 on the code the phone shows
    response = charge(terminal, phone.code(), 1250, reference="T1-0001")

    # then it succeeds at once, names the customer discreetly, and the money has moved
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "succeeded" and body["amount"] == 1250 and body["currency"] == "USD"
    assert body["wallet_owner_display"] == "Alice D."
    assert alice.phone not in str(body) and "Dupont" not in str(body)
    assert body["id"].startswith("chg_") and body["transaction_id"] and body["expires_at"] is None
    assert balance(api, alice) == 3750
    assert merchant_balance(app, terminal.merchant_id) == 1250
    txn = transaction_row(app, body["transaction_id"])
    assert (txn.type, txn.terminal_id, txn.amount) == ("payment", terminal.terminal_id, 1250)
    assert api.verify_ledger() == []


def test_the_terminal_reads_its_charge_and_another_terminal_gets_404(api):
    # given a charge made by one terminal
    owner = api.person(name="Owner")
    terminal = make_terminal(api, owner=owner)
    other = make_terminal(api, owner=owner, merchant={"id": terminal.merchant_id}, label="Till 2")
    alice = api.person(balance=5000)
    made = charged(terminal, phone_of(api, alice), 500)

    # when each terminal asks for it
    mine = terminal.get(f"/api/v1/pos/charges/{made['id']}")
    theirs = other.get(f"/api/v1/pos/charges/{made['id']}")

    # then only the one that made it sees it
    assert mine.status_code == 200 and mine.json == made
    assert theirs.status_code == 404 and theirs.json["error"]["code"] == "not_found"


def test_a_retried_charge_returns_the_first_answer_and_charges_once(app, api):
    # given a charge that succeeded with an Idempotency-Key
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    code, key = phone_of(api, alice).code(), str(uuid.uuid4())
    first = charge(terminal, code, 1250, key=key)
    assert first.status_code == 201, first.json

    # when the till retries it (the answer was lost), with the very same single-use code
    retry = charge(terminal, code, 1250, key=key)

    # then it gets the first answer, not payment_code_used, and the customer paid once
    assert (retry.status_code, retry.json) == (201, first.json)
    assert balance(api, alice) == 3750 and payment_count(app) == 1


def test_retries_do_not_resolve_the_code_again_so_they_never_count_as_guesses(app, api):
    # given a charge that succeeded with an Idempotency-Key
    terminal = make_terminal(api)
    phone = phone_of(api, api.person(balance=5000))
    code, key = phone.code(), str(uuid.uuid4())
    first = charge(terminal, code, 100, key=key)

    # when the till retries it as often as it may present wrong codes
    retries = [charge(terminal, code, 100, key=key) for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"])]

    # then each retry gets the first answer and the terminal is not shut out
    assert {(r.status_code, r.json["id"]) for r in retries} == {(201, first.json["id"])}
    assert charge(terminal, phone.code(), 100).status_code == 201


def test_the_same_key_with_another_charge_is_a_conflict(api):
    terminal = make_terminal(api)
    phone = phone_of(api, api.person(balance=5000))
    key = str(uuid.uuid4())
    assert charge(terminal, phone.code(), 1250, key=key).status_code == 201

    other = charge(terminal, phone.code(), 999, key=key)

    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_conflict"


def test_a_refused_code_is_402_with_the_charge_id_and_the_same_answer_on_retry(api):
    # given a wrong code
    terminal = make_terminal(api)
    code, key = wrong_otp(phone_of(api, api.person(balance=5000)).code()), str(uuid.uuid4())

    # when the till charges it, then retries
    refused = charge(terminal, code, 1250, key=key)
    retry = charge(terminal, code, 1250, key=key)

    # then it is a 402 naming the reason and the recorded charge, and the retry answers alike
    assert refused.status_code == 402
    error = refused.json["error"]
    assert error["code"] == "payment_code_invalid" and error["details"]["charge_id"].startswith("chg_")
    assert (retry.status_code, retry.json) == (402, refused.json)
    recorded = terminal.get(f"/api/v1/pos/charges/{error['details']['charge_id']}").json
    assert (recorded["status"], recorded["failure_code"], recorded["transaction_id"]) == (
        "failed", "payment_code_invalid", None)


def test_a_refusal_without_a_key_is_recorded_too(api):
    terminal = make_terminal(api)
    code = wrong_otp(phone_of(api, api.person(balance=5000)).code())

    refused = charge(terminal, code, 1250)

    assert refused.status_code == 402
    charge_id = refused.json["error"]["details"]["charge_id"]
    assert terminal.get(f"/api/v1/pos/charges/{charge_id}").json["status"] == "failed"


def test_a_used_code_is_refused(api):
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    code = phone_of(api, alice).code()
    assert charge(terminal, code, 100).status_code == 201

    again = charge(terminal, code, 100)

    assert again.status_code == 402 and again.json["error"]["code"] == "payment_code_used"
    assert balance(api, alice) == 4900


def test_an_expired_code_is_refused(app, api):
    terminal = make_terminal(api)
    code = phone_of(api, api.person(balance=5000)).code()
    advance(app, 61)  # older than its own period and the next

    refused = charge(terminal, code, 100)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "payment_code_expired"


def test_a_revoked_devices_code_is_refused(api):
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    phone = phone_of(api, alice)
    code = phone.code()
    assert api.client.delete(f"/api/v1/devices/{phone.devices[0]['id']}", headers=alice.auth).status_code == 204

    refused = charge(terminal, code, 100)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "payment_code_revoked"


def test_not_enough_money_is_refused_without_telling_the_merchant_the_balance(api):
    terminal = make_terminal(api)
    alice = api.person(balance=300)

    refused = charge(terminal, phone_of(api, alice).code(), 500)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "insufficient_funds"
    assert set(refused.json["error"]["details"]) == {"charge_id"}
    assert balance(api, alice) == 300


def test_a_frozen_wallet_is_refused_with_402(app, api):
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    set_wallet_status(app, alice.wallet_id, "frozen")

    refused = charge(terminal, phone_of(api, alice).code(), 100)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "wallet_frozen"
    assert "charge_id" in refused.json["error"]["details"]


def test_a_pin_locked_customer_cannot_pay_even_a_small_amount(app, api):
    # given a customer whose payments are locked after wrong PINs
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    with app.app_context():
        get_store().set(f"pin:lock:{alice.id}", 1800)

    refused = charge(terminal, phone_of(api, alice).code(), 100)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "pin_locked"
    assert balance(api, alice) == 5000


def test_a_code_for_a_wallet_in_another_currency_is_refused(api):
    # given a customer whose second wallet (slot 1) holds EUR
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    assert api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).status_code == 201

    # when the USD till charges the EUR wallet's code
    refused = charge(terminal, phone_of(api, alice).code(slot=1), 100)

    # then the currencies do not match
    assert refused.status_code == 402 and refused.json["error"]["code"] == "currency_not_supported"
    assert refused.json["error"]["details"]["charge_id"]


def test_a_charge_in_a_currency_the_merchant_lacks_is_422_and_leaves_the_code_usable(api):
    terminal = make_terminal(api)
    phone = phone_of(api, api.person(balance=5000))
    code = phone.code()

    refused = charge(terminal, code, 100, currency="EUR")
    accepted = charge(terminal, code, 100)

    assert refused.status_code == 422 and refused.json["error"]["code"] == "currency_not_supported"
    assert accepted.status_code == 201


def test_too_many_refused_codes_shut_the_terminal_out_with_429_recording_nothing(app, api):
    # given a terminal that has presented the maximum number of wrong codes
    terminal = make_terminal(api)
    code = phone_of(api, api.person(balance=5000)).code()
    for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"]):
        assert charge(terminal, wrong_otp(code), 100).status_code == 402

    # when it presents even the right code
    locked = charge(terminal, code, 100, key=str(uuid.uuid4()))

    # then it is 429 as resolve_payment_code said, with no charge id
    assert locked.status_code == 429 and locked.json["error"]["code"] == "too_many_attempts"
    assert "charge_id" not in locked.json["error"]["details"]


@pytest.mark.parametrize("amount", [1.5, "100", 0, -1])
def test_a_bad_amount_is_422(api, amount):
    terminal = make_terminal(api)

    response = charge(terminal, "28" + "0" * 16, amount)

    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"


def test_the_ledger_verifies_after_charges_and_refusals(api):
    terminal = make_terminal(api)
    alice = api.person(balance=5000)
    phone = phone_of(api, alice)
    charged(terminal, phone, 1000)
    charge(terminal, wrong_otp(phone.code()), 100)
    charge(terminal, phone.code(), 999_999)

    assert balance(api, alice) == 4000
    assert api.verify_ledger() == []

"""Vending authorizations through the signed API: hold the maximum price, capture what was
dispensed, void, expiry, and each refusal with its own code."""
from __future__ import annotations

import uuid

from app.core import clock
from app.core.store import get_store
from tests.support.payment_codes import customer
from tests.support.terminals import make_terminal

AUTHORIZATIONS = "/api/v1/pos/authorizations"


def authorize(terminal, code: str, amount: int, *, key: str | None = None, **extra):
    return terminal.post(AUTHORIZATIONS, {"payment_code": code, "amount": amount, **extra}, key=key)


def authorized(terminal, buyer, amount: int) -> dict:
    response = authorize(terminal, buyer.code(), amount)
    assert response.status_code == 201, response.json
    return response.json


def capture(terminal, authorization_id: str, amount: int, **kwargs):
    return terminal.post(f"{AUTHORIZATIONS}/{authorization_id}/capture", {"amount": amount}, **kwargs)


def void(terminal, authorization_id: str, **kwargs):
    return terminal.post(f"{AUTHORIZATIONS}/{authorization_id}/void", **kwargs)


def refused(response, status: int, code: str) -> dict:
    assert (response.status_code, response.json["error"]["code"]) == (status, code), response.json
    return response.json["error"]


def wallet_of(api, buyer) -> dict:
    return api.wallet(buyer.person)


# --- the flow -------------------------------------------------------------------------------

def test_an_authorization_holds_the_maximum_price_until_it_is_captured(api):
    # given a vending machine and a customer with 20.00
    terminal = make_terminal(api, kind="vending", label="Snacks 3")
    buyer = customer(api, balance=2000)

    # when the machine authorizes 5.00 on the customer's code
    response = authorize(terminal, buyer.code(), 500, reference="slot B4")

    # then 5.00 is held: the balance is unchanged, the available amount is down
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"].startswith("aut_") and body["status"] == "authorized"
    assert (body["amount"], body["currency"], body["captured_amount"], body["reference"]) == (500, "USD", 0, "slot B4")
    assert body["expires_at"] > clock.now().isoformat()
    wallet = wallet_of(api, buyer)
    assert (wallet["balance"], wallet["available"], wallet["held"]) == (2000, 1500, 500)
    assert terminal.get(f"{AUTHORIZATIONS}/{body['id']}").json == body
    assert api.verify_ledger() == []


def test_a_partial_capture_takes_what_was_dispensed_and_releases_the_rest(api):
    # given a hold of 5.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)

    # when the machine dispensed a 3.20 item and captures that
    response = capture(terminal, held["id"], 320)

    # then only 3.20 leaves the wallet, the other 1.80 is available again, the merchant has 3.20
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["captured_amount"]) == ("captured", 320)
    wallet = wallet_of(api, buyer)
    assert (wallet["balance"], wallet["available"], wallet["held"]) == (1680, 1680, 0)
    assert terminal.get(f"{AUTHORIZATIONS}/{held['id']}").json["status"] == "captured"
    assert api.verify_ledger() == []


def test_the_hold_and_its_capture_are_booked_to_the_terminal(app, api):
    # given a captured authorization
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    capture(terminal, held["id"], 500)

    # when the ledger is read
    from app.extensions import db
    from app.pos.charges.models import PosCharge
    from app.wallet.models import Transaction
    with app.app_context():
        txn = db.session.get(Transaction, db.session.get(PosCharge, held["id"]).transaction_id)

        # then the hold transaction names the terminal and is captured
        assert (txn.type, txn.status, txn.terminal_id) == ("hold", "captured", terminal.terminal_id)


def test_a_void_releases_the_whole_hold_and_a_second_void_answers_the_same(api):
    # given a hold of 5.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)

    # when the machine dispensed nothing and voids it, twice (a retry)
    first = void(terminal, held["id"])
    second = void(terminal, held["id"])

    # then all of it is available again, and both answers say voided
    assert first.status_code == 200 and first.json["status"] == "voided"
    assert second.status_code == 200 and second.json == first.json
    assert wallet_of(api, buyer)["available"] == 2000
    assert api.verify_ledger() == []


def test_a_hold_not_captured_in_time_is_released_by_expire_holds_and_reads_expired(app, api):
    # given a hold, and the configured expiry has passed
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)

    # when the expiry job runs
    result = app.test_cli_runner().invoke(args=["ledger", "expire-holds"])

    # then the money is available again, the authorization reads expired and cannot be captured
    assert "expired 1 hold" in result.output
    assert wallet_of(api, buyer)["available"] == 2000
    assert terminal.get(f"{AUTHORIZATIONS}/{held['id']}").json["status"] == "expired"
    refused(capture(terminal, held["id"], 100), 409, "authorization_voided")
    assert api.verify_ledger() == []


# --- refusals -------------------------------------------------------------------------------

def test_a_second_capture_is_refused_as_already_captured(api):
    # given a captured authorization
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    assert capture(terminal, held["id"], 300).status_code == 200

    # when the machine captures again, and then tries to void
    again = capture(terminal, held["id"], 100)
    late_void = void(terminal, held["id"])

    # then both are refused as already captured and nothing more moves
    assert refused(again, 409, "already_captured")["details"]["captured_amount"] == 300
    refused(late_void, 409, "already_captured")
    assert wallet_of(api, buyer)["balance"] == 1700
    assert api.verify_ledger() == []


def test_a_capture_after_a_void_is_refused_as_authorization_voided(api):
    # given a voided authorization
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    void(terminal, held["id"])

    # when the machine captures it
    response = capture(terminal, held["id"], 500)

    # then it is refused and the wallet is untouched
    refused(response, 409, "authorization_voided")
    assert wallet_of(api, buyer)["balance"] == 2000


def test_a_capture_above_the_hold_is_refused_and_the_hold_stays(api):
    # given a hold of 5.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)

    # when the machine captures 5.01
    response = capture(terminal, held["id"], 501)

    # then it is refused, the hold is still there and can still be captured in full
    assert refused(response, 422, "amount_exceeds_hold")["details"]["held"] == 500
    assert wallet_of(api, buyer)["held"] == 500
    assert capture(terminal, held["id"], 500).status_code == 200


def test_a_capture_past_the_expiry_before_the_job_ran_is_refused_as_hold_expired(app, api):
    # given a hold whose expiry passed, not yet released by the job
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)

    # when the machine captures it
    response = capture(terminal, held["id"], 500)

    # then it is refused as expired, and it reads expired
    refused(response, 410, "hold_expired")
    assert terminal.get(f"{AUTHORIZATIONS}/{held['id']}").json["status"] == "expired"
    assert wallet_of(api, buyer)["balance"] == 2000


def test_refused_authorizations_are_402_with_the_authorization_id(api):
    # given a customer with 1.00 and a code already used for a hold
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=100)
    used = buyer.code()
    assert authorize(terminal, used, 50).status_code == 201

    # when the machine presents the used code, a made-up code, and asks more than the wallet has
    reused = authorize(terminal, used, 50)
    invalid = authorize(terminal, "99" + "0" * 16, 50)
    poor = authorize(terminal, buyer.code(), 80)

    # then each is a 402 with its own reason and a failed authorization the terminal can read
    for response, code in ((reused, "payment_code_used"), (invalid, "payment_code_invalid"),
                           (poor, "insufficient_funds")):
        error = refused(response, 402, code)
        recorded = terminal.get(f"{AUTHORIZATIONS}/{error['details']['authorization_id']}").json
        assert (recorded["status"], recorded["failure_code"]) == ("failed", code)
    assert "available" not in poor.json["error"]["details"]  # the customer's balance is not the shop's business
    refused(capture(terminal, poor.json["error"]["details"]["authorization_id"], 10), 409, "hold_not_pending")
    assert wallet_of(api, buyer)["available"] == 50


def test_a_pin_locked_customer_gets_no_hold_even_for_a_small_amount(app, api):
    # given a customer whose payments are locked after wrong PINs (a machine cannot take a PIN)
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    with app.app_context():
        get_store().set(f"pin:lock:{buyer.person.id}", 1800)

    # when the machine authorizes 1.00 on the customer's code
    response = authorize(terminal, buyer.code(), 100)

    # then it is a recorded, failed authorization and nothing is held
    error = refused(response, 402, "pin_locked")
    recorded = terminal.get(f"{AUTHORIZATIONS}/{error['details']['authorization_id']}").json
    assert (recorded["status"], recorded["failure_code"]) == ("failed", "pin_locked")
    assert (wallet_of(api, buyer)["available"], wallet_of(api, buyer)["held"]) == (2000, 0)


def test_a_hold_above_the_no_pin_amount_is_refused_without_using_the_code(app, api):
    # given a customer with plenty of money (a machine cannot take a PIN)
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=50_000)
    code = buyer.code()

    # when the machine asks for more than NO_PIN_AMOUNT
    response = authorize(terminal, code, app.config["NO_PIN_AMOUNT"] + 1)

    # then it is refused as too large, and the same code still works for an allowed amount
    error = refused(response, 422, "amount_too_large")
    assert error["details"]["max_amount"] == app.config["NO_PIN_AMOUNT"]
    assert authorize(terminal, code, app.config["NO_PIN_AMOUNT"]).status_code == 201


def test_a_currency_the_merchant_does_not_take_is_refused(api):
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)

    response = authorize(terminal, buyer.code(), 500, currency="EUR")

    refused(response, 422, "currency_not_supported")


def test_another_terminals_authorization_is_not_found(api):
    # given an authorization by one machine, and a second machine of the same merchant
    owner = api.person(name="Owner")
    first = make_terminal(api, owner=owner, kind="vending")
    other = make_terminal(api, owner=owner, merchant={"id": first.merchant_id}, kind="vending", label="Drinks")
    buyer = customer(api, balance=2000)
    held = authorized(first, buyer, 500)

    # when the other machine reads, captures or voids it
    responses = [other.get(f"{AUTHORIZATIONS}/{held['id']}"), capture(other, held["id"], 500),
                 void(other, held["id"])]

    # then each is 404 and the hold is still there
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert wallet_of(api, buyer)["held"] == 500


# --- idempotency ----------------------------------------------------------------------------

def test_a_retried_authorization_with_one_key_holds_once_and_returns_the_first_answer(api):
    # given an authorization made with an Idempotency-Key
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    code, key = buyer.code(), str(uuid.uuid4())
    first = authorize(terminal, code, 500, key=key)

    # when the machine retries it (the answer was lost), with the same single-use code
    retry = authorize(terminal, code, 500, key=key)

    # then the first answer comes back (not payment_code_used) and only one hold exists
    assert first.status_code == 201 and (retry.status_code, retry.json) == (201, first.json)
    assert wallet_of(api, buyer)["held"] == 500
    refused(authorize(terminal, code, 400, key=key), 409, "idempotency_conflict")


def test_retries_do_not_count_as_refused_codes_towards_the_terminals_lock_out(app, api):
    # given an authorization made with an Idempotency-Key
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    code, key = buyer.code(), str(uuid.uuid4())
    assert authorize(terminal, code, 100, key=key).status_code == 201

    # when the machine retries it as many times as refused codes would lock it out
    retries = [authorize(terminal, code, 100, key=key) for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"])]

    # then every retry gets the first answer, and a new customer's code is still accepted
    assert {r.status_code for r in retries} == {201}
    assert authorize(terminal, buyer.code(), 100).status_code == 201


def test_a_retried_refusal_returns_the_same_refusal(api):
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=100)
    code, key = buyer.code(), str(uuid.uuid4())

    first = authorize(terminal, code, 500, key=key)
    retry = authorize(terminal, code, 500, key=key)

    assert first.status_code == 402 and (retry.status_code, retry.json) == (402, first.json)


def test_a_retried_capture_with_one_key_returns_the_first_answer(api):
    # given a capture made with an Idempotency-Key
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = authorized(terminal, buyer, 500)
    key = str(uuid.uuid4())
    first = capture(terminal, held["id"], 300, key=key)

    # when it is retried with the key, then without one
    retry = capture(terminal, held["id"], 300, key=key)
    unkeyed = capture(terminal, held["id"], 300)

    # then the keyed retry gets the first answer, the unkeyed one is a second capture
    assert first.status_code == 200 and (retry.status_code, retry.json) == (200, first.json)
    refused(unkeyed, 409, "already_captured")
    assert wallet_of(api, buyer)["balance"] == 1700

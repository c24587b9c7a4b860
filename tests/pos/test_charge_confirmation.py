"""Above NO_PIN_AMOUNT the customer approves a charge in the app; the terminal follows it."""
from __future__ import annotations

import threading
import time
from datetime import datetime

from app.core import clock
from tests.support.api import Api
from tests.support.payment_codes import PIN, balance, charged, phone_of, set_pin
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal
from tests.support.waiting import until_waiting_on_charge

LARGE = 15_000  # above the default NO_PIN_AMOUNT of 10_000


def shop_and_customer(api, *, money: int = 50_000):
    terminal = make_terminal(api, label="Front till")
    alice = api.person(name="Alice Dupont", balance=money)
    set_pin(api, alice)
    return terminal, alice, phone_of(api, alice)


def confirm(api, person, charge_id: str, pin: str = PIN):
    return api.post(f"/api/v1/payments/{charge_id}/confirm", person, json={"pin": pin})


def pending(api, person) -> list[dict]:
    response = api.get("/api/v1/payments/pending", person)
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_a_large_charge_waits_for_the_customer_and_moves_no_money_yet(app, api):
    # given a customer with 500.00
    terminal, alice, phone = shop_and_customer(api)

    # when the till charges 150.00
    made = charged(terminal, phone, LARGE)

    # then it waits for the customer for 60 s, and nothing has moved
    assert made["status"] == "requires_confirmation" and made["transaction_id"] is None
    lifetime = datetime.fromisoformat(made["expires_at"]) - datetime.fromisoformat(made["created_at"])
    assert lifetime.total_seconds() == 60
    assert balance(api, alice) == 50_000 and merchant_balance(app, terminal.merchant_id) == 0
    # and the customer's app lists it with the shop's name and the till's label
    [listed] = pending(api, alice)
    assert listed["id"] == made["id"] and listed["amount"] == LARGE
    assert listed["merchant_name"] == "Café Zürich" and listed["terminal_label"] == "Front till"


def test_the_customer_confirms_with_the_pin_and_the_money_moves(app, api):
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)

    confirmed = confirm(api, alice, made["id"])

    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "succeeded" and confirmed.json["transaction_id"]
    assert balance(api, alice) == 50_000 - LARGE and merchant_balance(app, terminal.merchant_id) == LARGE
    seen = terminal.get(f"/api/v1/pos/charges/{made['id']}").json
    assert seen["status"] == "succeeded" and seen["transaction_id"] == confirmed.json["transaction_id"]
    assert pending(api, alice) == []
    assert api.verify_ledger() == []


def test_a_wrong_pin_is_refused_and_the_charge_still_waits(api):
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)

    refused = confirm(api, alice, made["id"], pin="000001")

    assert refused.status_code == 403 and refused.json["error"]["code"] == "pin_invalid"
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "requires_confirmation"
    assert balance(api, alice) == 50_000


def test_an_unapproved_charge_expires_after_60_seconds(api):
    # given a charge waiting for the customer
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)

    # when 61 seconds pass
    clock.advance(61)

    # then the terminal reads it as expired, the app no longer lists it, and it cannot be approved
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "expired"
    assert pending(api, alice) == []
    late = confirm(api, alice, made["id"])
    assert late.status_code == 410 and late.json["error"]["code"] == "confirmation_expired"
    assert balance(api, alice) == 50_000


def test_confirming_twice_is_a_conflict_and_pays_once(api):
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)
    assert confirm(api, alice, made["id"]).status_code == 200

    again = confirm(api, alice, made["id"])

    assert again.status_code == 409 and again.json["error"]["code"] == "charge_not_pending"
    assert balance(api, alice) == 50_000 - LARGE


def test_the_customer_may_decline_and_then_it_cannot_be_confirmed(api):
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)

    declined = api.post(f"/api/v1/payments/{made['id']}/decline", alice)

    assert declined.status_code == 200 and declined.json["status"] == "declined"
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "declined"
    assert confirm(api, alice, made["id"]).json["error"]["code"] == "charge_not_pending"
    assert balance(api, alice) == 50_000


def test_another_users_charge_is_not_found(api):
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)
    mallory = api.person(name="Mallory", balance=50_000)
    set_pin(api, mallory)

    confirmed = confirm(api, mallory, made["id"])
    declined = api.post(f"/api/v1/payments/{made['id']}/decline", mallory)

    assert confirmed.status_code == 404 and declined.status_code == 404
    assert pending(api, mallory) == []
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "requires_confirmation"


def test_a_waiting_terminal_gets_the_answer_the_moment_the_customer_confirms(app, api):
    # given a charge waiting for the customer, and the customer's app on another connection
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)
    app_side = Api(app, app.test_client())
    answers, confirmed_at = [], []

    def customer():
        until_waiting_on_charge(app, made["id"])
        answers.append(confirm(app_side, alice, made["id"]).status_code)
        confirmed_at.append(time.monotonic())

    # when the terminal waits up to 10 s, and the customer confirms once it is waiting
    thread = threading.Thread(target=customer)
    thread.start()
    started = time.monotonic()
    followed = terminal.get(f"/api/v1/pos/charges/{made['id']}", query={"wait": 10})
    returned_at = time.monotonic()
    thread.join()

    # then the wait ends with "succeeded" long before its 10 s, as the confirmation lands
    assert answers == [200]
    assert followed.status_code == 200 and followed.json["status"] == "succeeded"
    assert started < confirmed_at[0] and returned_at - started < 1.0
    assert returned_at - confirmed_at[0] < 0.2


def test_a_wait_without_news_returns_the_waiting_charge_when_it_runs_out(api):
    terminal, _, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)

    started = time.monotonic()
    followed = terminal.get(f"/api/v1/pos/charges/{made['id']}", query={"wait": 0.6})

    assert followed.json["status"] == "requires_confirmation"
    assert time.monotonic() - started >= 0.6


def test_a_wait_on_a_final_charge_returns_at_once_and_waits_are_bounded(api):
    terminal, _, phone = shop_and_customer(api)
    made = charged(terminal, phone, 500)

    started = time.monotonic()
    followed = terminal.get(f"/api/v1/pos/charges/{made['id']}", query={"wait": 10})
    too_long = terminal.get(f"/api/v1/pos/charges/{made['id']}", query={"wait": 31})

    assert followed.json["status"] == "succeeded" and time.monotonic() - started < 1.0
    assert too_long.status_code == 422


def test_a_confirmation_retried_with_its_idempotency_key_gets_the_first_answer_and_pays_once(api):
    # given a charge waiting for the customer
    terminal, alice, phone = shop_and_customer(api)
    made = charged(terminal, phone, LARGE)
    headers = {**alice.auth, "Idempotency-Key": "confirm-1"}

    # when the app confirms, loses the answer and sends the same request again
    first = api.client.post(f"/api/v1/payments/{made['id']}/confirm", json={"pin": PIN}, headers=headers)
    again = api.client.post(f"/api/v1/payments/{made['id']}/confirm", json={"pin": PIN}, headers=headers)

    # then both answers are the first one and the money moved once
    assert first.status_code == again.status_code == 200, (first.json, again.json)
    assert first.json == again.json
    assert balance(api, alice) == 50_000 - LARGE


def test_a_disabled_customer_is_refused_the_list_of_waiting_charges(app, api):
    # given a customer with a charge waiting for them
    terminal, alice, phone = shop_and_customer(api)
    charged(terminal, phone, LARGE)
    assert len(pending(api, alice)) == 1
    # when an operator disables them (the list is one statement that also checks the user)
    from sqlalchemy import text
    from app.extensions import db
    with app.app_context():
        db.session.execute(text("UPDATE users SET status = 'disabled' WHERE id = :id"), {"id": alice.id})
        db.session.commit()
    # then the list is refused, as every signed-in request of a disabled user is
    refused = api.get("/api/v1/payments/pending", alice)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "token_invalid", refused.json

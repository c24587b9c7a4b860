"""The six-digit payment PIN: setting it, and needing it above NO_PIN_AMOUNT."""
from __future__ import annotations

import pytest

from tests.support.auth import advance

PIN = "482913"


def put_pin(api, person, pin: str, current_pin: str | None = None):
    body = {"pin": pin} | ({"current_pin": current_pin} if current_pin else {})
    return api.client.put("/api/v1/me/pin", json=body, headers=person.auth)


def renew(api, person) -> None:
    """New tokens after moving the clock past the access token's 15 minutes."""
    response = api.client.post("/api/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]})
    assert response.status_code == 200, response.json
    person.tokens = response.json


def payer_and_payee(api, *, pin: str | None = PIN):
    payer, payee = api.person(balance=100_000), api.person()
    if pin:
        assert put_pin(api, payer, pin).status_code == 204
    return payer, payee


def test_setting_a_pin_answers_204_and_shows_in_me(api):
    person = api.person()

    response = put_pin(api, person, PIN)

    assert response.status_code == 204
    me = api.get("/api/v1/me", person).json
    assert me["pin_set"] is True


def test_me_shows_security_settings_and_the_no_pin_limit(api):
    person = api.person()

    me = api.get("/api/v1/me", person).json

    assert me["pin_set"] is False
    assert me["totp_enabled"] is False
    assert me["limits"]["no_pin_amount"] == 10000


@pytest.mark.parametrize("pin", ["000000", "123456", "654321", "999999"])
def test_trivial_pins_are_refused(api, pin):
    person = api.person()

    response = put_pin(api, person, pin)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "weak_pin"
    assert api.get("/api/v1/me", person).json["pin_set"] is False


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456"])
def test_a_pin_that_is_not_six_digits_is_a_validation_error(api, pin):
    person = api.person()

    response = put_pin(api, person, pin)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_changing_the_pin_needs_the_current_one(api):
    person = api.person()
    put_pin(api, person, PIN)

    response = put_pin(api, person, "735194")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_required"


def test_changing_the_pin_with_a_wrong_current_one_is_refused(api):
    person = api.person()
    put_pin(api, person, PIN)

    response = put_pin(api, person, "735194", current_pin="111222")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_invalid"


def test_changing_the_pin_with_the_current_one_works_and_the_old_pin_stops(api):
    payer, payee = payer_and_payee(api)

    response = put_pin(api, payer, "735194", current_pin=PIN)

    assert response.status_code == 204
    assert api.transfer(payer, payee.phone, 20_000, pin="735194").status_code == 201
    assert api.transfer(payer, payee.phone, 20_000, pin=PIN).json["error"]["code"] == "pin_invalid"


def test_a_transfer_up_to_the_no_pin_amount_needs_no_pin(api):
    payer, payee = payer_and_payee(api)

    response = api.transfer(payer, payee.phone, 10_000)

    assert response.status_code == 201, response.json


def test_a_transfer_above_the_no_pin_amount_without_a_pin_is_refused(api):
    payer, payee = payer_and_payee(api)

    response = api.transfer(payer, payee.phone, 10_001)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_required"
    assert api.wallet(payer)["balance"] == 100_000


def test_a_transfer_above_the_no_pin_amount_is_refused_when_no_pin_was_ever_set(api):
    payer, payee = payer_and_payee(api, pin=None)

    response = api.transfer(payer, payee.phone, 10_001, pin=PIN)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_required"
    # the caller is told what to do about it: there is no PIN to type yet
    assert response.json["error"]["details"] == {"pin_set": False}
    assert "PUT /api/v1/me/pin" in response.json["error"]["message"], response.json


def test_a_transfer_with_the_right_pin_goes_through(api):
    payer, payee = payer_and_payee(api)

    response = api.transfer(payer, payee.phone, 20_000, pin=PIN)

    assert response.status_code == 201, response.json
    assert api.wallet(payee)["balance"] == 20_000


def test_a_transfer_with_a_wrong_pin_is_refused(api):
    payer, payee = payer_and_payee(api)

    response = api.transfer(payer, payee.phone, 20_000, pin="111222")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_invalid"
    assert api.wallet(payer)["balance"] == 100_000


def test_five_wrong_pins_lock_payments_even_with_the_right_pin(api):
    payer, payee = payer_and_payee(api)
    answers = [api.transfer(payer, payee.phone, 20_000, pin="111222").json["error"]["code"] for _ in range(5)]

    response = api.transfer(payer, payee.phone, 20_000, pin=PIN)

    assert answers == ["pin_invalid"] * 4 + ["pin_locked"]
    assert response.status_code == 403
    assert response.json["error"]["code"] == "pin_locked"
    assert api.transfer(payer, payee.phone, 100).json["error"]["code"] == "pin_locked"


def test_the_pin_lock_ends_after_30_minutes(app, api):
    payer, payee = payer_and_payee(api)
    for _ in range(5):
        api.transfer(payer, payee.phone, 20_000, pin="111222")
    advance(app, 29 * 60)
    renew(api, payer)
    assert api.transfer(payer, payee.phone, 20_000, pin=PIN).json["error"]["code"] == "pin_locked"

    advance(app, 61)

    response = api.transfer(payer, payee.phone, 20_000, pin=PIN)
    assert response.status_code == 201, response.json


def test_the_right_pin_resets_the_count_of_wrong_ones(api):
    payer, payee = payer_and_payee(api)
    for _ in range(4):
        api.transfer(payer, payee.phone, 20_000, pin="111222")
    assert api.transfer(payer, payee.phone, 20_000, pin=PIN).status_code == 201

    response = api.transfer(payer, payee.phone, 20_000, pin="111222")

    assert response.json["error"]["code"] == "pin_invalid"

"""Consumer payment codes end to end: registering a device, showing a code, and a terminal
resolving it (resolve_payment_code, which the terminal endpoints will call)."""
from __future__ import annotations

import re

import pyotp
import pytest

from app.core import clock
from app.core.errors import AppError
from app.qr.devices.scanning import resolve_payment_code
from app.qr.devices.services import MAX_ACTIVE_DEVICES
from app.qr.payment_codes import make_code
from tests.support.api import PASSWORD
from tests.support.auth import advance

DEVICE_FIELDS = {"id", "name", "handle", "created_at", "revoked_at"}


# --- helpers ------------------------------------------------------------------------------

def register_device(api, person, name: str = "Dana phone"):
    return api.post("/api/v1/devices", person, json={"name": name})


def device_of(api, person, name: str = "Dana phone") -> dict:
    response = register_device(api, person, name)
    assert response.status_code == 201, response.json
    return response.json


def payment_code(api, person, device_id: str, wallet_id: str | None = None):
    return api.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}/payment-code?device_id={device_id}", person)


def code_of(api, person, device: dict, wallet_id: str | None = None) -> str:
    response = payment_code(api, person, device["id"], wallet_id)
    assert response.status_code == 200, response.json
    return response.json["code"]


def app_side_code(device: dict, slot: int = 0) -> str:
    """What the phone computes offline from the registration answer alone."""
    totp = pyotp.TOTP(device["secret"], digits=device["digits"], interval=device["period"])
    return f"{device['prefix']}{device['handle']}{slot}{totp.at(clock.now())}"


def resolve(app, code: str, caller: str = "term_1"):
    with app.test_request_context():
        account, device = resolve_payment_code(code, caller=caller)
        return account.id, device.id


def refusal(app, code: str, caller: str = "term_1") -> AppError:
    with app.test_request_context(), pytest.raises(AppError) as refused:
        resolve_payment_code(code, caller=caller)
    return refused.value


def start_of_period(app) -> None:
    """Move the clock to one second into a period, so a test's own run time never crosses one."""
    period = app.config["PAYMENT_CODE_PERIOD"]
    advance(app, period - clock.now().timestamp() % period + 1)


def wrong_otp(code: str) -> str:
    return code[:10] + f"{(int(code[10:]) + 1) % 10 ** 8:08d}"


# --- registering and listing devices ------------------------------------------------------

def test_registering_a_device_returns_its_seed_and_how_to_build_the_code(api):
    # given a verified person
    alice = api.person()

    # when they register their phone
    response = register_device(api, alice)

    # then they get the seed once, with everything an app needs to compute codes offline
    assert response.status_code == 201, response.json
    device = response.json
    assert set(device) == DEVICE_FIELDS | {"secret", "algorithm", "digits", "period", "prefix", "format"}
    assert device["id"].startswith("dev_")
    assert (device["algorithm"], device["digits"], device["period"], device["prefix"]) == ("SHA1", 8, 30, "28")
    assert re.fullmatch(r"\d{7}", device["handle"])
    assert re.fullmatch(r"[A-Z2-7]{32}", device["secret"])
    assert "18 digits" in device["format"]
    assert device["revoked_at"] is None


def test_the_device_list_shows_no_seeds_and_no_revoked_devices(api):
    alice = api.person()
    phone, tablet = device_of(api, alice, "phone"), device_of(api, alice, "tablet")
    assert api.client.delete(f"/api/v1/devices/{tablet['id']}", headers=alice.auth).status_code == 204

    response = api.get("/api/v1/devices", alice)

    assert response.status_code == 200
    assert response.json["data"] == [{key: phone[key] for key in DEVICE_FIELDS}]


def test_renaming_a_device_changes_its_name_in_the_list_and_keeps_its_codes(app, api):
    alice = api.person()
    device = device_of(api, alice, "Browser on Linux")
    before = code_of(api, alice, device)

    response = api.client.patch(f"/api/v1/devices/{device['id']}", headers=alice.auth, json={"name": "Kitchen tablet"})

    assert response.status_code == 200, response.json
    assert response.json == {key: device[key] for key in DEVICE_FIELDS} | {"name": "Kitchen tablet"}
    assert [d["name"] for d in api.get("/api/v1/devices", alice).json["data"]] == ["Kitchen tablet"]
    assert resolve(app, before)[1] == device["id"]  # the seed, the handle and so the code did not change


def test_renaming_needs_a_valid_name_and_ones_own_live_device(api):
    alice, bob = api.person(), api.person()
    device = device_of(api, alice, "phone")
    rename = lambda who, name, device_id=device["id"]: api.client.patch(  # noqa: E731
        f"/api/v1/devices/{device_id}", headers=who.auth, json={"name": name})

    assert rename(alice, "").status_code == 422
    assert rename(alice, "x" * 101).status_code == 422
    assert api.client.patch(f"/api/v1/devices/{device['id']}", headers=alice.auth,
                            json={"name": "ok", "handle": "1234567"}).status_code == 422
    assert rename(bob, "mine now").status_code == 404  # someone else's device looks missing
    assert api.client.patch(f"/api/v1/devices/{device['id']}", json={"name": "x"}).status_code == 401
    assert api.client.delete(f"/api/v1/devices/{device['id']}", headers=alice.auth).status_code == 204
    assert rename(alice, "again").status_code == 404  # a revoked device is gone from the list
    assert api.client.get("/api/v1/devices", headers=alice.auth).json["data"] == []


def test_an_unverified_person_cannot_register_a_device(api):
    # given a person who signed up but never proved their phone (they may still sign in)
    person = api.person(verified=False)
    tokens = api.client.post("/api/v1/auth/login", json={"identifier": person.identifier, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.json
    person.tokens = tokens.json

    # when they try to register a device
    response = register_device(api, person)

    # then it is refused, and nothing was registered
    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_verified"
    assert api.get("/api/v1/devices", person).json["data"] == []


def test_a_device_name_must_be_given_and_short(api):
    alice = api.person()

    assert register_device(api, alice, "").status_code == 422
    assert register_device(api, alice, "x" * 101).status_code == 422
    assert api.post("/api/v1/devices", alice, json={"name": "ok", "handle": "1234567"}).status_code == 422


def test_device_handles_are_random_not_derived_from_the_person(api):
    alice = api.person()

    handles = [device_of(api, alice, f"device {n}")["handle"] for n in range(5)]

    assert len(set(handles)) == 5
    assert not any(handle in alice.phone for handle in handles)


def test_a_person_cannot_register_more_than_the_device_limit(api):
    alice = api.person()
    for n in range(MAX_ACTIVE_DEVICES):
        device_of(api, alice, f"device {n}")

    response = register_device(api, alice, "one too many")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "too_many_devices"


# --- the code the app shows ---------------------------------------------------------------

def test_the_code_is_eighteen_digits_with_the_prefix_and_shows_neither_wallet_nor_phone(app, api):
    # given a person with a registered device
    alice = api.person()
    device = device_of(api, alice)

    # when the app asks for the code to show
    response = payment_code(api, alice, device["id"])

    # then it is 18 digits: prefix, the device handle, wallet slot 0 and a TOTP
    assert response.status_code == 200, response.json
    body = response.json
    code = body["code"]
    assert re.fullmatch(r"\d{18}", code)
    assert code.startswith("28" + device["handle"] + "0")
    # and it names neither the wallet nor the phone number
    assert alice.wallet_id not in code
    assert alice.phone[-8:] not in code
    # and it comes with its lifetime and a scannable image
    period = app.config["PAYMENT_CODE_PERIOD"]
    assert 1 <= body["refresh_in"] <= period
    assert body["expires_in"] == body["refresh_in"] + period
    assert body["barcode_svg"].lstrip().startswith("<?xml") and "<svg" in body["barcode_svg"]


def test_the_app_computes_the_same_code_offline_from_the_registration_answer(app, api):
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)

    assert code_of(api, alice, device) == app_side_code(device)


def test_the_wallet_slot_is_the_wallets_place_in_the_wallet_list(app, api):
    # given a person with a second wallet
    alice = api.person()
    eur = api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).json["id"]
    listed = [w["id"] for w in api.get("/api/v1/wallets", alice).json["data"]]
    device = device_of(api, alice)
    start_of_period(app)

    # when the app asks for a code for the EUR wallet
    code = code_of(api, alice, device, eur)

    # then its slot digit is that wallet's index, and a terminal gets that wallet from it
    assert code[9] == str(listed.index(eur))
    assert code == app_side_code(device, listed.index(eur))
    assert resolve(app, code)[0] == eur


def test_a_code_for_another_persons_wallet_or_device_is_not_found(api):
    alice, bob = api.person(), api.person()
    alice_device, bob_device = device_of(api, alice), device_of(api, bob)

    with_her_wallet = payment_code(api, bob, bob_device["id"], alice.wallet_id)
    with_her_device = payment_code(api, bob, alice_device["id"], bob.wallet_id)
    revoking_hers = api.client.delete(f"/api/v1/devices/{alice_device['id']}", headers=bob.auth)

    for response in (with_her_wallet, with_her_device, revoking_hers):
        assert response.status_code == 404, response.json
        assert response.json["error"]["code"] == "not_found"
    assert payment_code(api, alice, alice_device["id"]).status_code == 200


def test_a_revoked_device_gets_no_code(api):
    alice = api.person()
    device = device_of(api, alice)
    assert api.client.delete(f"/api/v1/devices/{device['id']}", headers=alice.auth).status_code == 204

    response = payment_code(api, alice, device["id"])

    assert response.status_code == 410
    assert response.json["error"]["code"] == "device_revoked"


def test_the_device_endpoints_need_a_signed_in_person(api):
    assert api.client.get("/api/v1/devices").status_code == 401
    assert api.client.post("/api/v1/devices", json={"name": "x"}).status_code == 401


# --- a terminal resolving a code ----------------------------------------------------------

def test_a_code_pays_from_its_wallet_once_and_is_refused_the_second_time(app, api):
    # given a code on the customer's screen
    alice = api.person()
    device = device_of(api, alice)
    code = code_of(api, alice, device)

    # when a terminal resolves it, then it gets the customer's wallet and device
    assert resolve(app, code) == (alice.wallet_id, device["id"])

    # and when it (or another terminal) presents it again, it is refused as used
    for caller in ("term_1", "term_2"):
        refused = refusal(app, code, caller)
        assert (refused.status, refused.code) == (402, "payment_code_used")


def test_a_code_from_the_previous_period_still_pays(app, api):
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)
    code = code_of(api, alice, device)

    advance(app, app.config["PAYMENT_CODE_PERIOD"])

    assert resolve(app, code) == (alice.wallet_id, device["id"])


def test_a_code_two_periods_old_has_expired(app, api):
    # given a code shown just now
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)
    code = code_of(api, alice, device)

    # when it is presented 61 seconds later
    advance(app, 61)
    refused = refusal(app, code)

    # then it is refused as expired (the app shows a fresh one), while a fresh code pays
    assert (refused.status, refused.code) == (402, "payment_code_expired")
    assert resolve(app, code_of(api, alice, device)) == (alice.wallet_id, device["id"])


def test_a_code_from_a_revoked_device_is_refused_even_within_its_period(app, api):
    alice = api.person()
    device = device_of(api, alice)
    code = code_of(api, alice, device)

    assert api.client.delete(f"/api/v1/devices/{device['id']}", headers=alice.auth).status_code == 204
    refused = refusal(app, code)

    assert (refused.status, refused.code) == (402, "payment_code_revoked")


def test_a_code_of_a_disabled_person_is_refused(app, api):
    from app.auth.models import User
    from app.extensions import db
    alice = api.person()
    device = device_of(api, alice)
    code = code_of(api, alice, device)
    with app.app_context():
        db.session.get(User, alice.id).status = "disabled"
        db.session.commit()

    refused = refusal(app, code)

    assert (refused.status, refused.code) == (402, "payment_code_revoked")


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda code, handle: wrong_otp(code), id="wrong TOTP"),
    pytest.param(lambda code, handle: code[:2] + f"{(int(handle) + 1) % 10 ** 7:07d}" + code[9:],
                 id="unknown handle"),
    pytest.param(lambda code, handle: "29" + code[2:], id="another prefix"),
    pytest.param(lambda code, handle: code[:17], id="17 digits"),
    pytest.param(lambda code, handle: code[:9] + "5" + code[10:], id="a slot with no wallet"),
    pytest.param(lambda code, handle: "not a code", id="not digits"),
])
def test_a_malformed_unknown_or_wrong_code_is_invalid(app, api, tamper):
    alice = api.person()
    device = device_of(api, alice)
    code = code_of(api, alice, device)

    refused = refusal(app, tamper(code, device["handle"]))

    assert (refused.status, refused.code) == (402, "payment_code_invalid")
    # and the good code was not used up by the refusal
    assert resolve(app, code) == (alice.wallet_id, device["id"])


def test_a_code_whose_totp_is_from_a_future_period_is_invalid(app, api):
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)
    future = make_code("28", device["handle"], 0, device["secret"], clock.now().timestamp() + 30)

    refused = refusal(app, future)

    assert (refused.status, refused.code) == (402, "payment_code_invalid")


def test_guessing_is_cut_off_per_caller_even_for_a_right_code(app, api):
    # given a live code, and a terminal that has sent PAYMENT_CODE_MAX_FAILURES wrong ones
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)
    code = code_of(api, alice, device)
    for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"]):
        assert refusal(app, wrong_otp(code), "term_guesser").code == "payment_code_invalid"

    # when that terminal presents the right code
    refused = refusal(app, code, "term_guesser")

    # then it is refused with 429 and told how long to wait, and the code was not used up
    assert (refused.status, refused.code) == (429, "too_many_attempts")
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= app.config["PAYMENT_CODE_FAILURE_WINDOW"]
    # while another terminal is not affected
    assert resolve(app, code, "term_honest") == (alice.wallet_id, device["id"])


def test_one_failure_short_of_the_limit_a_caller_can_still_pay(app, api):
    alice = api.person()
    device = device_of(api, alice)
    start_of_period(app)
    code = code_of(api, alice, device)
    for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"] - 1):
        refusal(app, wrong_otp(code), "term_1")

    assert resolve(app, code, "term_1") == (alice.wallet_id, device["id"])


def test_a_locked_out_caller_may_try_again_after_the_window(app, api):
    alice = api.person()
    device = device_of(api, alice)
    for _ in range(app.config["PAYMENT_CODE_MAX_FAILURES"]):
        refusal(app, "28" + "0" * 16, "term_1")
    assert refusal(app, "28" + "0" * 16, "term_1").status == 429

    advance(app, app.config["PAYMENT_CODE_FAILURE_WINDOW"] + 1)

    assert resolve(app, code_of(api, alice, device), "term_1") == (alice.wallet_id, device["id"])


@pytest.mark.parametrize("device_id", ["%00", "dev_%00x", "dev_%01x", "d" * 41])
def test_a_device_id_with_a_control_character_or_too_long_is_422_not_a_server_error(api, device_id):
    # given the reported probe: ?device_id=%00 was a psycopg.DataError (500) on PostgreSQL
    person = api.person()

    response = payment_code(api, person, device_id)

    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"

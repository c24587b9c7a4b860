"""Authenticator-app second factor (RFC 6238), recovery codes, and the two-step sign-in."""
from __future__ import annotations

import base64
import re

import pyotp
import pytest

from app.auth import totp
from app.core import clock
from tests.support.api import PASSWORD
from tests.support.auth import next_totp, totp_now

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_SHA1_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
                    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")]


def login(api, person):
    return api.client.post("/api/v1/auth/login", json={"identifier": person.identifier, "password": PASSWORD})


def login_mfa(api, mfa_token: str, code: str):
    return api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})


def with_totp(app, api):
    """A signed-in person with TOTP on: (person, secret, recovery codes)."""
    person = api.person()
    secret = api.post("/api/v1/auth/totp/setup", person).json["secret"]
    enabled = api.post("/api/v1/auth/totp/enable", person, json={"code": totp_now(secret)})
    assert enabled.status_code == 200, enabled.json
    return person, secret, enabled.json["recovery_codes"]


# --- RFC 6238 and the accepted window ---------------------------------------------------------

@pytest.mark.parametrize(("at", "expected"), RFC_SHA1_VECTORS)
def test_totp_as_we_use_it_matches_the_rfc_6238_sha1_vectors(at, expected):
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(at) == expected


@pytest.mark.parametrize(("at", "expected"), RFC_SHA1_VECTORS)
def test_matching_step_finds_the_rfc_6238_step_for_the_six_digit_code(at, expected):
    assert totp.matching_step(RFC_SECRET, expected[-6:], at) == at // 30


def test_matching_step_accepts_a_code_one_step_early_or_late():
    now = 1_700_000_000
    generator = pyotp.TOTP(RFC_SECRET)

    assert totp.matching_step(RFC_SECRET, generator.at(now - 30), now) == now // 30 - 1
    assert totp.matching_step(RFC_SECRET, generator.at(now + 30), now) == now // 30 + 1


def test_matching_step_refuses_a_code_two_steps_away():
    now = 1_700_000_000
    generator = pyotp.TOTP(RFC_SECRET)
    near = {generator.at(now + k * 30) for k in (-1, 0, 1)}

    for far in (generator.at(now - 60), generator.at(now + 60)):
        if far not in near:  # a 1-in-a-million collision would make the case meaningless
            assert totp.matching_step(RFC_SECRET, far, now) is None


def test_matching_step_refuses_codes_that_are_not_six_digits():
    assert totp.matching_step(RFC_SECRET, "94287082", 59) is None
    assert totp.matching_step(RFC_SECRET, "28708a", 59) is None


# --- setup and enable ------------------------------------------------------------------------

def test_setup_returns_a_secret_its_otpauth_uri_and_an_svg_qr_code(api):
    person = api.person()

    response = api.post("/api/v1/auth/totp/setup", person)

    assert response.status_code == 200, response.json
    body = response.json
    assert re.fullmatch(r"[A-Z2-7]{16,}", body["secret"])
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith(("<?xml", "<svg"))
    assert api.get("/api/v1/me", person).json["totp_enabled"] is False


def test_enable_with_a_current_code_returns_ten_recovery_codes(app, api):
    person, _, recovery_codes = with_totp(app, api)

    assert len(recovery_codes) == 10
    assert len(set(recovery_codes)) == 10
    assert api.get("/api/v1/me", person).json["totp_enabled"] is True


def test_enable_with_a_wrong_code_is_refused(api):
    person = api.person()
    secret = api.post("/api/v1/auth/totp/setup", person).json["secret"]
    wrong = f"{(int(totp_now(secret)) + 1) % 1_000_000:06d}"

    response = api.post("/api/v1/auth/totp/enable", person, json={"code": wrong})

    assert response.status_code == 401
    assert response.json["error"]["code"] == "mfa_invalid"
    assert api.get("/api/v1/me", person).json["totp_enabled"] is False


# --- two-step sign-in ------------------------------------------------------------------------

def test_with_totp_on_login_asks_for_the_second_factor(app, api):
    person, _, _ = with_totp(app, api)

    response = login(api, person)

    assert response.status_code == 200
    assert set(response.json) == {"mfa_required", "mfa_token"}
    assert response.json["mfa_required"] is True


def test_the_mfa_token_is_not_an_access_token(app, api):
    person, _, _ = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]

    response = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {mfa_token}"})

    assert response.status_code == 401


def test_login_mfa_with_a_totp_code_gives_tokens(app, api):
    person, secret, _ = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]

    response = login_mfa(api, mfa_token, next_totp(app, secret))

    assert response.status_code == 200, response.json
    assert {"access_token", "refresh_token"} <= set(response.json)


def test_the_same_totp_code_cannot_be_replayed(app, api):
    person, secret, _ = with_totp(app, api)
    code = next_totp(app, secret)
    assert login_mfa(api, login(api, person).json["mfa_token"], code).status_code == 200

    replay = login_mfa(api, login(api, person).json["mfa_token"], code)

    assert replay.status_code == 401
    assert replay.json["error"]["code"] == "mfa_invalid"


def test_the_code_used_to_enable_totp_cannot_be_replayed_to_sign_in(app, api):
    person = api.person()
    secret = api.post("/api/v1/auth/totp/setup", person).json["secret"]
    code = totp_now(secret)
    api.post("/api/v1/auth/totp/enable", person, json={"code": code})

    response = login_mfa(api, login(api, person).json["mfa_token"], code)

    assert response.status_code == 401


def test_a_recovery_code_works_once(app, api):
    person, _, recovery_codes = with_totp(app, api)

    first = login_mfa(api, login(api, person).json["mfa_token"], recovery_codes[0])
    again = login_mfa(api, login(api, person).json["mfa_token"], recovery_codes[0])

    assert first.status_code == 200, first.json
    assert again.status_code == 401
    assert again.json["error"]["code"] == "mfa_invalid"


def test_a_wrong_code_at_the_second_step_is_refused(app, api):
    person, secret, _ = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]
    wrong = f"{(int(next_totp(app, secret)) + 500_000) % 1_000_000:06d}"

    response = login_mfa(api, mfa_token, wrong)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "mfa_invalid"


def test_an_mfa_token_works_only_once(app, api):
    person, secret, recovery_codes = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]
    assert login_mfa(api, mfa_token, next_totp(app, secret)).status_code == 200

    response = login_mfa(api, mfa_token, recovery_codes[0])

    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_revoked"


def test_an_mfa_token_expires_after_five_minutes(app, api):
    person, secret, _ = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]
    clock.advance(306)

    response = login_mfa(api, mfa_token, totp_now(secret))

    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"


def test_disable_with_a_code_turns_totp_off_and_login_is_one_step_again(app, api):
    person, secret, _ = with_totp(app, api)

    response = api.post("/api/v1/auth/totp/disable", person, json={"code": next_totp(app, secret)})

    assert response.status_code == 204
    assert api.get("/api/v1/me", person).json["totp_enabled"] is False
    assert "access_token" in login(api, person).json


def test_disable_with_a_wrong_code_keeps_totp_on(app, api):
    person, secret, _ = with_totp(app, api)
    wrong = f"{(int(next_totp(app, secret)) + 500_000) % 1_000_000:06d}"

    response = api.post("/api/v1/auth/totp/disable", person, json={"code": wrong})

    assert response.status_code == 401
    assert response.json["error"]["code"] == "mfa_invalid"
    assert api.get("/api/v1/me", person).json["totp_enabled"] is True


def test_five_wrong_codes_kill_the_mfa_token(app, api):
    person, secret, _ = with_totp(app, api)
    mfa_token = login(api, person).json["mfa_token"]
    right = next_totp(app, secret)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        assert login_mfa(api, mfa_token, wrong).status_code == 401

    response = login_mfa(api, mfa_token, right)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_revoked"


def test_disable_with_a_recovery_code_turns_totp_off(app, api):
    person, _, recovery_codes = with_totp(app, api)

    response = api.post("/api/v1/auth/totp/disable", person, json={"code": recovery_codes[3].upper()})

    assert response.status_code == 204
    assert api.get("/api/v1/me", person).json["totp_enabled"] is False

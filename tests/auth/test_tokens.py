"""Access and refresh tokens: rotation, theft detection, logout, sessions, and forged tokens."""
from __future__ import annotations

import secrets

import jwt
import pytest

from app.core import clock
from tests.support.api import PASSWORD
from tests.support.auth import b64url, bearer, sign, unverified_claims


def refresh(api, token: str):
    return api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def me(api, access_token: str):
    return api.client.get("/api/v1/me", headers=bearer(access_token))


def sign_in(api, person, device: str):
    response = api.client.post("/api/v1/auth/login", json={"identifier": person.identifier, "password": PASSWORD},
                               headers={"X-Device-Name": device})
    assert response.status_code == 200, response.json
    return response.json


def own_claims(api, person) -> dict:
    """Claims of a real access token of `person`, to forge variations of it."""
    return unverified_claims(person.tokens["access_token"])


def assert_refused(response, code: str | None = None):
    assert response.status_code == 401, response.json
    assert set(response.json["error"]) == {"code", "message", "details"}
    if code:
        assert response.json["error"]["code"] == code


# --- refresh rotation -----------------------------------------------------------------------

def test_refresh_gives_a_new_pair_that_works(api):
    person = api.person()

    response = refresh(api, person.tokens["refresh_token"])

    assert response.status_code == 200, response.json
    assert response.json["refresh_token"] != person.tokens["refresh_token"]
    assert me(api, response.json["access_token"]).status_code == 200
    assert refresh(api, response.json["refresh_token"]).status_code == 200


def test_reusing_an_old_refresh_token_ends_the_whole_session(api):
    person = api.person()
    old = person.tokens["refresh_token"]
    newest = refresh(api, old).json

    reuse = refresh(api, old)

    assert_refused(reuse, "token_revoked")
    assert_refused(refresh(api, newest["refresh_token"]), "token_revoked")
    assert_refused(me(api, newest["access_token"]), "token_revoked")
    assert_refused(me(api, person.tokens["access_token"]), "token_revoked")


def test_reuse_in_one_session_leaves_the_other_sessions_alone(api):
    person = api.person()
    other_device = sign_in(api, person, "tablet")
    refresh(api, person.tokens["refresh_token"])

    refresh(api, person.tokens["refresh_token"])

    assert me(api, other_device["access_token"]).status_code == 200
    assert refresh(api, other_device["refresh_token"]).status_code == 200


# --- logout and sessions ----------------------------------------------------------------------

def test_logout_refuses_the_access_token_at_once(api):
    person = api.person()

    response = api.post("/api/v1/auth/logout", person)

    assert response.status_code == 204
    assert_refused(me(api, person.tokens["access_token"]), "token_revoked")
    assert_refused(refresh(api, person.tokens["refresh_token"]), "token_revoked")


def test_sessions_list_shows_each_device_by_name(api):
    person = api.person()
    phone = sign_in(api, person, "Ann's phone")
    sign_in(api, person, "Ann's laptop")

    response = api.client.get("/api/v1/auth/sessions", headers=bearer(phone["access_token"]))

    assert response.status_code == 200
    rows = response.json["data"]
    assert {"Ann's phone", "Ann's laptop"} <= {row["device_name"] for row in rows}
    assert [row["device_name"] for row in rows if row["current"]] == ["Ann's phone"]


def test_ending_one_session_signs_that_device_out_only(api):
    person = api.person()
    laptop = sign_in(api, person, "laptop")
    sessions = api.get("/api/v1/auth/sessions", person).json["data"]
    laptop_id = next(row["id"] for row in sessions if row["device_name"] == "laptop")

    response = api.client.delete(f"/api/v1/auth/sessions/{laptop_id}", headers=person.auth)

    assert response.status_code == 204
    assert_refused(me(api, laptop["access_token"]), "token_revoked")
    assert me(api, person.tokens["access_token"]).status_code == 200
    remaining = api.get("/api/v1/auth/sessions", person).json["data"]
    assert laptop_id not in {row["id"] for row in remaining}


def test_ending_another_users_session_is_not_found(api):
    ann, bob = api.person(), api.person()
    bob_session = api.get("/api/v1/auth/sessions", bob).json["data"][0]["id"]

    response = api.client.delete(f"/api/v1/auth/sessions/{bob_session}", headers=ann.auth)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert me(api, bob.tokens["access_token"]).status_code == 200


# --- forged and unusable tokens ---------------------------------------------------------------

def test_a_token_with_alg_none_is_refused(api):
    person = api.person()
    token = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(own_claims(api, person))}."

    assert_refused(me(api, token), "token_invalid")


def test_a_token_signed_with_hs512_and_the_right_key_is_refused(app, api):
    person = api.person()
    token = sign(app, own_claims(api, person), algorithm="HS512")

    assert_refused(me(api, token), "token_invalid")


def test_a_token_with_an_rs256_header_is_refused(api):
    person = api.person()
    genuine = person.tokens["access_token"]
    header = {"alg": "RS256", "typ": "JWT", "kid": jwt.get_unverified_header(genuine)["kid"]}
    token = f"{b64url(header)}.{genuine.split('.')[1]}.{genuine.split('.')[2]}"

    assert_refused(me(api, token), "token_invalid")


def test_a_token_signed_with_another_secret_is_refused(app, api):
    person = api.person()
    token = sign(app, own_claims(api, person), secret=secrets.token_urlsafe(40))

    assert_refused(me(api, token), "token_invalid")


def test_a_token_with_an_unknown_kid_is_refused(app, api):
    person = api.person()
    token = sign(app, own_claims(api, person), kid="unknown")

    assert_refused(me(api, token), "token_invalid")


def test_a_token_for_another_audience_is_refused(app, api):
    person = api.person()
    token = sign(app, own_claims(api, person) | {"aud": "another-api"})

    assert_refused(me(api, token), "token_invalid")


def test_a_token_from_another_issuer_is_refused(app, api):
    person = api.person()
    token = sign(app, own_claims(api, person) | {"iss": "someone-else"})

    assert_refused(me(api, token), "token_invalid")


def test_a_token_missing_a_required_claim_is_refused(app, api):
    person = api.person()
    claims = own_claims(api, person)
    del claims["exp"]

    assert_refused(me(api, sign(app, claims)), "token_invalid")


def test_an_access_token_expires_after_900_seconds(api):
    person = api.person()
    clock.advance(900 + 6)  # TTL plus the leeway

    assert_refused(me(api, person.tokens["access_token"]), "token_expired")


def test_an_access_token_still_works_within_its_lifetime(api):
    person = api.person()
    clock.advance(890)

    assert me(api, person.tokens["access_token"]).status_code == 200


def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(app, api):
    person = api.person()
    claims = own_claims(api, person)
    claims["iat"] += 60
    claims["exp"] += 60

    assert_refused(me(api, sign(app, claims)))


def test_a_token_issued_a_little_in_the_future_within_the_leeway_is_accepted(app, api):
    person = api.person()
    claims = own_claims(api, person)
    claims["iat"] += 3

    assert me(api, sign(app, claims)).status_code == 200


def test_a_refresh_token_cannot_be_used_as_an_access_token(api):
    person = api.person()

    assert_refused(me(api, person.tokens["refresh_token"]), "token_invalid")


def test_an_access_token_cannot_be_used_to_refresh(api):
    person = api.person()

    assert_refused(refresh(api, person.tokens["access_token"]), "token_invalid")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "Bearer", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_garbage_is_refused(api, token):
    response = api.client.get("/api/v1/me", headers=bearer(token))

    assert_refused(response)


def test_no_token_is_unauthorized(api):
    response = api.client.get("/api/v1/me")

    assert_refused(response, "unauthorized")


# --- key rotation -----------------------------------------------------------------------------

def test_a_token_signed_by_an_old_key_still_verifies_after_a_new_key_is_put_first(app, api):
    person = api.person()
    saved = list(app.config["JWT_KEYS"])
    app.config["JWT_KEYS"] = [("new", secrets.token_urlsafe(40)), *saved]
    try:
        old_token_works = me(api, person.tokens["access_token"]).status_code
        fresh = refresh(api, person.tokens["refresh_token"]).json
    finally:
        app.config["JWT_KEYS"] = saved

    assert old_token_works == 200
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == "new"


def test_a_token_signed_by_a_retired_key_is_refused(app, api):
    person = api.person()
    saved = list(app.config["JWT_KEYS"])
    app.config["JWT_KEYS"] = [("new", secrets.token_urlsafe(40))]
    try:
        response = me(api, person.tokens["access_token"])
    finally:
        app.config["JWT_KEYS"] = saved

    assert_refused(response, "token_invalid")


def test_a_token_used_once_still_expires_on_time(app, api):
    # given a token that has been verified (and remembered) on a first request
    person = api.person()
    assert me(api, person.tokens["access_token"]).status_code == 200

    # when its lifetime has passed
    clock.advance(app.config["ACCESS_TOKEN_TTL"] + app.config["JWT_LEEWAY"] + 1)

    # then the remembered signature does not keep it alive
    assert_refused(me(api, person.tokens["access_token"]), "token_expired")

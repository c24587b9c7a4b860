"""Signing in with a password, and passwordless with a code by SMS or e-mail."""
from __future__ import annotations

from tests.support.api import PASSWORD
from tests.support.auth import advance

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


def login(api, identifier: str, password: str = PASSWORD):
    return api.client.post("/api/v1/auth/login", json={"identifier": identifier, "password": password})


def request_code(api, identifier: str):
    return api.client.post("/api/v1/auth/otp/request", json={"identifier": identifier})


def otp_login(api, identifier: str, code: str):
    return api.client.post("/api/v1/auth/otp/login", json={"identifier": identifier, "code": code})


def codes_sent_to(api, to: str, purpose: str) -> list[str]:
    return [m["code"] for m in api.outbox() if m["to"] == to and m["purpose"] == purpose]


# --- one-time codes ---------------------------------------------------------------------------

def test_otp_request_answers_202_for_known_and_unknown_identifiers_alike(api):
    person = api.person()

    known = request_code(api, person.phone)
    unknown = request_code(api, "+6599000001")

    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json == {"status": "accepted"}
    assert len(codes_sent_to(api, person.phone, "login")) == 1
    assert codes_sent_to(api, "+6599000001", "login") == []


def test_an_expired_login_code_is_refused_as_for_an_unknown_identifier(app, api):
    """The probe: after expiry, /otp/login answered otp_expired for a known identifier and
    otp_invalid for an unknown one."""
    person = api.person()
    request_code(api, person.phone)
    code = api.last_code(person.phone, "login")
    advance(app, 301)

    known = otp_login(api, person.phone, code)
    unknown = otp_login(api, "+6599000004", code)

    assert known.status_code == unknown.status_code == 401
    assert known.json == unknown.json
    assert known.json["error"]["code"] == "otp_invalid"


def test_a_second_otp_request_within_60_seconds_sends_nothing_new(app, api):
    person = api.person()
    request_code(api, person.phone)
    advance(app, 30)

    again = request_code(api, person.phone)

    assert again.status_code == 202
    assert len(codes_sent_to(api, person.phone, "login")) == 1


def test_an_otp_request_after_61_seconds_sends_a_new_code(app, api):
    person = api.person()
    request_code(api, person.phone)
    advance(app, 61)

    request_code(api, person.phone)

    assert len(codes_sent_to(api, person.phone, "login")) == 2


def test_otp_requests_are_capped_at_five_an_hour(app, api):
    person = api.person()
    assert app.config["OTP_MAX_PER_HOUR"] == 5
    for _ in range(7):
        assert request_code(api, person.phone).status_code == 202
        advance(app, 61)

    assert len(codes_sent_to(api, person.phone, "login")) == 5


def test_the_hourly_otp_cap_frees_up_after_an_hour(app, api):
    person = api.person()
    for _ in range(5):
        request_code(api, person.phone)
        advance(app, 61)
    advance(app, 3600)

    request_code(api, person.phone)

    assert len(codes_sent_to(api, person.phone, "login")) == 6


def test_otp_request_to_an_unverified_account_resends_the_verification_code(app, api):
    person = api.person(verified=False)
    advance(app, 61)

    request_code(api, person.phone)

    assert len(codes_sent_to(api, person.phone, "verify")) == 2
    assert codes_sent_to(api, person.phone, "login") == []


def test_otp_login_with_the_code_gives_tokens(api):
    person = api.person()
    request_code(api, person.phone)

    response = otp_login(api, person.phone, api.last_code(person.phone, "login"))

    assert response.status_code == 200, response.json
    assert set(response.json) == TOKEN_KEYS
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.json["id"] == person.id


def test_otp_login_with_a_wrong_code_is_refused(api):
    person = api.person()
    request_code(api, person.phone)
    code = api.last_code(person.phone, "login")

    response = otp_login(api, person.phone, f"{(int(code) + 1) % 1_000_000:06d}")

    assert response.status_code == 401
    assert response.json["error"]["code"] == "otp_invalid"


def test_a_login_code_is_single_use(api):
    person = api.person()
    request_code(api, person.phone)
    code = api.last_code(person.phone, "login")
    assert otp_login(api, person.phone, code).status_code == 200

    again = otp_login(api, person.phone, code)

    assert again.status_code == 401
    assert again.json["error"]["code"] == "otp_invalid"


def test_the_newest_otp_replaces_the_one_before(app, api):
    person = api.person()
    request_code(api, person.phone)
    first = api.last_code(person.phone, "login")
    advance(app, 61)
    request_code(api, person.phone)
    second = api.last_code(person.phone, "login")

    old = otp_login(api, person.phone, first) if first != second else None
    new = otp_login(api, person.phone, second)

    assert old is None or old.status_code == 401
    assert new.status_code == 200


# --- password ---------------------------------------------------------------------------------

def test_login_with_the_right_password_gives_tokens(api):
    person = api.person()

    response = login(api, person.phone)

    assert response.status_code == 200, response.json
    assert set(response.json) == TOKEN_KEYS
    assert response.json["token_type"] == "Bearer"


def test_login_by_email_ignores_case(api):
    person = api.person(phone=None, email="case@example.com")

    assert login(api, "CASE@Example.com").status_code == 200
    assert person.email == "case@example.com"


def test_a_wrong_password_and_an_unknown_identifier_get_the_same_answer(api):
    person = api.person()

    wrong_password = login(api, person.phone, "Wrong-password-1")
    unknown = login(api, "+6599000002", "Wrong-password-1")

    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json == unknown.json
    assert wrong_password.json["error"]["code"] == "invalid_credentials"


def test_five_failures_lock_the_identifier_even_for_the_right_password(api):
    person = api.person()
    for _ in range(5):
        assert login(api, person.phone, "Wrong-password-1").status_code == 401

    response = login(api, person.phone)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "account_locked"
    assert int(response.headers["Retry-After"]) > 0


def test_four_failures_do_not_lock_the_identifier(api):
    person = api.person()
    for _ in range(4):
        login(api, person.phone, "Wrong-password-1")

    assert login(api, person.phone).status_code == 200


def test_an_unknown_identifier_is_locked_the_same_way(api):
    for _ in range(5):
        login(api, "+6599000003", "Wrong-password-1")

    response = login(api, "+6599000003", "Wrong-password-1")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "account_locked"


def test_the_lock_ends_after_login_lock_seconds(app, api):
    person = api.person()
    for _ in range(5):
        login(api, person.phone, "Wrong-password-1")
    advance(app, app.config["LOGIN_LOCK_SECONDS"] - 10)
    assert login(api, person.phone).status_code == 403

    advance(app, 11)

    assert login(api, person.phone).status_code == 200


def test_wrong_otp_codes_count_towards_the_same_lock(api):
    person = api.person()
    request_code(api, person.phone)
    code = api.last_code(person.phone, "login")
    for _ in range(5):
        otp_login(api, person.phone, f"{(int(code) + 1) % 1_000_000:06d}")

    response = login(api, person.phone)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "account_locked"


# --- the lock holds the account, not only the identifier that was tried --------------------------

def test_five_failures_on_the_email_lock_the_account_for_its_phone_too(api):
    """The probe: five wrong passwords for bf1@demo.test (here bf1@example.com, which the API accepts), then the same account's phone number
    logged in with the right password."""
    person = api.person(email="bf1@example.com")
    for _ in range(5):
        assert login(api, "bf1@example.com", "Wrong-password-1").status_code == 401

    by_phone = login(api, person.phone)
    by_code = otp_login(api, person.phone, _login_code(api, person.phone))

    assert by_phone.status_code == 401, by_phone.json
    # answered as a wrong password is, so the lock does not tell which phone and e-mail belong together
    assert by_phone.json == login(api, "+6599000077", "Wrong-password-1").json
    assert by_code.status_code == 401 and by_code.json["error"]["code"] == "otp_invalid"
    assert login(api, "bf1@example.com").json["error"]["code"] == "account_locked"


def test_failures_spread_over_the_identifiers_count_towards_one_account_lock(api):
    person = api.person(email="bf2@example.com")
    for identifier in ["bf2@example.com"] * 3 + [person.phone] * 2:
        assert login(api, identifier, "Wrong-password-1").status_code == 401

    # the phone's failure locked the account, and the phone with it; the e-mail answers as a wrong password
    assert login(api, person.phone).json["error"]["code"] == "account_locked"
    assert login(api, "bf2@example.com").json["error"]["code"] == "invalid_credentials"


def test_the_account_lock_ends_after_login_lock_seconds(app, api):
    person = api.person(email="bf3@example.com")
    for _ in range(5):
        login(api, "bf3@example.com", "Wrong-password-1")
    advance(app, app.config["LOGIN_LOCK_SECONDS"] - 10)
    assert login(api, person.phone).status_code == 401

    advance(app, 11)

    assert login(api, person.phone).status_code == 200
    assert login(api, "bf3@example.com").status_code == 200


def _login_code(api, phone: str) -> str:
    request_code(api, phone)
    return api.last_code(phone, "login")

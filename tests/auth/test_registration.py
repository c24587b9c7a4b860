"""Sign-up and verification of the phone or e-mail address with a one-time code."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import OtpCode
from app.core import clock
from app.extensions import db
from tests.support.api import PASSWORD


def verify(api, identifier: str, code: str):
    return api.client.post("/api/v1/auth/verify", json={"identifier": identifier, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- register ------------------------------------------------------------------------------------

def test_register_answers_201_with_the_user_and_how_the_code_was_sent(api):
    response = api.register(name="Ann Lee", phone="+6591110001", email="Ann@Example.com")

    assert response.status_code == 201, response.json
    user = response.json["user"]
    assert user["phone"] == "+6591110001"
    assert user["email"] == "ann@example.com"
    assert user["verified"] is False
    assert response.json["verification"] == {"channel": "sms", "expires_in": 300}


def test_register_with_only_an_email_sends_the_code_by_email(api):
    response = api.register(phone=None, email="only-mail@example.com")

    assert response.status_code == 201, response.json
    assert response.json["verification"]["channel"] == "email"
    assert api.outbox()[-1]["to"] == "only-mail@example.com"


def test_register_without_phone_or_email_is_a_validation_error(api):
    response = api.register(phone=None, email=None)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert set(response.json["error"]) == {"code", "message", "details"}


def test_register_with_a_weak_password_is_refused(api):
    for weak in ("short1!", "password123", "aaaaaaaaaaaa", "onlylowercaseletters"):
        response = api.register(password=weak)

        assert response.status_code == 422, weak
        assert response.json["error"]["code"] == "weak_password", weak


def test_register_with_a_phone_already_taken_is_a_conflict(api):
    api.register(phone="+6591110002")

    response = api.register(phone="+6591110002", email="other@example.com")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_exists"


def test_register_with_an_email_already_taken_is_a_conflict(api):
    api.register(phone=None, email="taken@example.com")

    response = api.register(email="TAKEN@example.com")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_exists"


def test_register_puts_a_six_digit_code_in_the_outbox(api):
    api.register(phone="+6591110003")

    messages = [m for m in api.outbox() if m["to"] == "+6591110003"]

    assert len(messages) == 1
    message = messages[0]
    assert set(message) == {"to", "channel", "purpose", "code", "message", "sent_at"}
    assert isinstance(message["code"], str) and re.fullmatch(r"\d{6}", message["code"])
    assert (message["channel"], message["purpose"]) == ("sms", "verify")
    assert message["code"] in message["message"]


def test_an_unverified_user_cannot_send_money_and_has_no_wallet(api):
    person = api.person(verified=False)
    login = api.client.post("/api/v1/auth/login", json={"identifier": person.phone, "password": PASSWORD})
    assert login.status_code == 200, login.json
    person.tokens = login.json

    transfer = api.post("/api/v1/transfers", person, json={"to": "+6599999999", "amount": 100, "currency": "USD"},
                        key="k-unverified")
    wallets = api.get("/api/v1/wallets", person)

    assert transfer.status_code == 403
    assert transfer.json["error"]["code"] == "not_verified"
    assert wallets.json["data"] == []


# --- verify --------------------------------------------------------------------------------------

def test_verify_with_the_right_code_signs_in_and_opens_a_usd_wallet(api):
    person = api.person(verified=False)

    response = verify(api, person.phone, api.last_code(person.phone, "verify"))

    assert response.status_code == 200, response.json
    assert set(response.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert response.json["token_type"] == "Bearer"
    assert response.json["expires_in"] == 900
    person.tokens = response.json
    wallets = api.get("/api/v1/wallets", person).json["data"]
    assert [w["currency"] for w in wallets] == ["USD"]
    assert api.get("/api/v1/me", person).json["verified"] is True


def test_verify_with_a_wrong_code_is_refused(api):
    person = api.person(verified=False)

    response = verify(api, person.phone, wrong(api.last_code(person.phone)))

    assert response.status_code == 401
    assert response.json["error"]["code"] == "otp_invalid"


def test_five_wrong_codes_kill_the_code_so_the_right_one_fails_too(api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)
    for _ in range(5):
        assert verify(api, person.phone, wrong(code)).status_code == 401

    response = verify(api, person.phone, code)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "otp_invalid"


def test_four_wrong_codes_still_leave_the_right_one_working(api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)
    for _ in range(4):
        verify(api, person.phone, wrong(code))

    assert verify(api, person.phone, code).status_code == 200


def test_the_code_expires_after_300_seconds(api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)
    clock.advance(301)

    response = verify(api, person.phone, code)

    assert response.status_code == 401
    assert response.json["error"]["code"] == "otp_expired"


def test_the_code_still_works_just_before_it_expires(api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)
    clock.advance(299)

    assert verify(api, person.phone, code).status_code == 200


def test_the_verification_code_cannot_verify_twice(api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)
    assert verify(api, person.phone, code).status_code == 200

    again = verify(api, person.phone, code)

    # answered like any wrong code, so the endpoint does not reveal that the account exists
    assert again.status_code == 401
    assert again.json["error"]["code"] == "otp_invalid"


def test_codes_are_stored_only_as_digests(app, api):
    person = api.person(verified=False)
    code = api.last_code(person.phone)

    with app.app_context():
        hashes = db.session.execute(
            select(OtpCode.code_hash).where(OtpCode.user_id == person.id)).scalars().all()

    assert len(hashes) == 1
    assert hashes[0] != code
    assert code not in hashes[0]
    assert re.fullmatch(r"[0-9a-f]{64}", hashes[0])


def test_verify_for_an_unknown_identifier_looks_like_a_wrong_code(api):
    response = verify(api, "+6599000000", "123456")

    assert response.status_code == 401
    assert response.json["error"]["code"] == "otp_invalid"

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


def shape(value):
    """The JSON's keys and kinds of values, not the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


def users_with(app, **where) -> int:
    from sqlalchemy import func

    from app.auth.models import User
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(User).filter_by(**where)).scalar_one()


def test_registering_a_known_phone_answers_as_for_a_new_one_and_tells_the_owner(app, api):
    """The probe: a phone that already had an account answered 409 already_exists."""
    first = api.register(phone="+6591110002")
    new = api.register(phone="+6591110012", email="new@example.com")

    known = api.register(phone="+6591110002", email="other@example.com")

    assert known.status_code == new.status_code == first.status_code == 201, known.json
    assert shape(known.json) == shape(new.json)
    assert known.json["verification"] == new.json["verification"] == {"channel": "sms", "expires_in": 300}
    assert known.json["user"]["id"] != first.json["user"]["id"]  # nothing of the account shows
    assert (known.json["user"]["phone"], known.json["user"]["email"]) == ("+6591110002", "other@example.com")
    to_owner = [m for m in api.outbox() if m["to"] == "+6591110002"]
    assert [m["purpose"] for m in to_owner] == ["verify", "account_exists"]  # a notice, not a second code
    assert to_owner[-1]["code"] == "" and "already has an account" in to_owner[-1]["message"]
    assert [m for m in api.outbox() if m["to"] == "other@example.com"] == []
    assert users_with(app, phone="+6591110002") == 1 and users_with(app, email="other@example.com") == 0


def test_registering_a_known_email_answers_alike_and_tells_the_owner_by_email(app, api):
    api.register(phone=None, email="taken@example.com")
    new = api.register(phone=None, email="fresh@example.com")

    known = api.register(phone=None, email="TAKEN@example.com")

    assert known.status_code == new.status_code == 201, known.json
    assert shape(known.json) == shape(new.json) and known.json["verification"] == new.json["verification"]
    notice = [m for m in api.outbox() if m["to"] == "taken@example.com"][-1]
    assert (notice["channel"], notice["purpose"], notice["code"]) == ("email", "account_exists", "")
    assert users_with(app, email="taken@example.com") == 1


def test_the_owner_is_told_at_most_once_a_resend_interval(api):
    api.register(phone="+6591110004")
    for _ in range(3):
        assert api.register(phone="+6591110004").status_code == 201

    notices = [m for m in api.outbox() if m["to"] == "+6591110004" and m["purpose"] == "account_exists"]

    assert len(notices) == 1


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

    # refused as any wrong code is: "expired" would tell that this phone has an account
    assert response.status_code == 401
    assert response.json == verify(api, "+6599000009", code).json
    assert response.json["error"]["code"] == "otp_invalid"


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

"""Idempotency-Key: a retried money request gets its first answer back and moves nothing twice."""
from __future__ import annotations

from sqlalchemy import func, select

from app.core.models import IdempotencyRecord
from app.extensions import db
from tests.support.errors import assert_envelope
from tests.support.ledger import transaction_rows


def stored_keys(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one()


def topup_with_key(api, person, amount, key, source="tok_visa"):
    return api.post(f"/api/v1/wallets/{person.wallet_id}/topups", person,
                    json={"amount": amount, "source": source}, key=key)


def test_a_retried_transfer_gets_the_first_answer_and_moves_the_money_once(app, api):
    # given Alice with 5000 sent Bob 1200 with a key
    alice, bob = api.person(balance=5000), api.person()
    first = api.transfer(alice, bob.phone, 1200, key="pay-bob-1")
    assert first.status_code == 201

    # when the app retries the very same request twice
    second = api.transfer(alice, bob.phone, 1200, key="pay-bob-1")
    third = api.transfer(alice, bob.phone, 1200, key="pay-bob-1")

    # then it gets the same status and the same body, and the money moved once
    assert (second.status_code, second.json) == (201, first.json)
    assert (third.status_code, third.json) == (201, first.json)
    assert api.wallet(alice)["balance"] == 3800
    assert api.wallet(bob)["balance"] == 1200
    assert transaction_rows(app) == 2  # the top-up and one transfer
    assert api.verify_ledger() == []


def test_a_retried_topup_gets_the_first_answer_and_charges_once(app, api):
    alice = api.person()
    first = topup_with_key(api, alice, 2500, "top-1")

    again = topup_with_key(api, alice, 2500, "top-1")

    assert first.status_code == 201
    assert (again.status_code, again.json) == (201, first.json)
    assert api.wallet(alice)["balance"] == 2500
    assert transaction_rows(app) == 1


def test_without_a_key_each_request_is_new(api):
    alice, bob = api.person(balance=5000), api.person()

    first = api.transfer(alice, bob.phone, 1000)
    second = api.transfer(alice, bob.phone, 1000)

    assert first.json["id"] != second.json["id"]
    assert api.wallet(bob)["balance"] == 2000


def test_the_same_key_with_a_different_body_is_a_conflict(api):
    # given Alice sent Bob 1200 with a key
    alice, bob, carol = api.person(balance=5000), api.person(), api.person()
    api.transfer(alice, bob.phone, 1200, key="k1")

    # when she reuses the key for another amount, another recipient, or with a note added
    changed = [api.transfer(alice, bob.phone, 1300, key="k1"),
               api.transfer(alice, carol.phone, 1200, key="k1"),
               api.transfer(alice, bob.phone, 1200, key="k1", note="hi")]

    # then each is refused and nothing more moved
    for response in changed:
        assert_envelope(response, 409, "idempotency_conflict")
    assert api.wallet(alice)["balance"] == 3800
    assert api.wallet(carol)["balance"] == 0


def test_the_same_key_on_another_endpoint_is_a_conflict(api):
    # given a top-up made with a key
    alice, bob = api.person(balance=5000), api.person()
    topup_with_key(api, alice, 100, "shared-key")

    # when a transfer uses the same key
    response = api.transfer(alice, bob.phone, 100, key="shared-key")

    # then it is a conflict, not the top-up's answer
    assert_envelope(response, 409, "idempotency_conflict")
    assert api.wallet(bob)["balance"] == 0


def test_two_people_using_the_same_key_do_not_share_answers(api):
    # given Alice and Bob each send Carol money with the same key
    alice, bob, carol = api.person(balance=5000), api.person(balance=5000), api.person()

    from_alice = api.transfer(alice, carol.phone, 100, key="same-key")
    from_bob = api.transfer(bob, carol.phone, 100, key="same-key")

    # then both transfers happened, separately
    assert from_alice.status_code == from_bob.status_code == 201
    assert from_alice.json["id"] != from_bob.json["id"]
    assert api.wallet(carol)["balance"] == 200
    assert api.wallet(alice)["balance"] == api.wallet(bob)["balance"] == 4900


def test_a_refusal_is_replayed_even_after_the_reason_went_away(api):
    # given Alice with 500 was refused a 1000 transfer with a key
    alice, bob = api.person(balance=500), api.person()
    refused = api.transfer(alice, bob.phone, 1000, key="retry-me")
    assert_envelope(refused, 402, "insufficient_funds")

    # when she tops up enough and the app retries the same request with the same key
    api.topup(alice, 5000)
    retried = api.transfer(alice, bob.phone, 1000, key="retry-me")

    # then the retry gets the same refusal (a retry never turns a decline into a payment)
    assert (retried.status_code, retried.json) == (402, refused.json)
    assert api.wallet(bob)["balance"] == 0
    # and a new key is a new request, which now succeeds
    assert api.transfer(alice, bob.phone, 1000, key="new-attempt").status_code == 201


def test_a_declined_card_is_replayed_with_the_same_key(api):
    alice = api.person()
    declined = topup_with_key(api, alice, 500, "card-1", source="tok_chargeDeclined")

    again = topup_with_key(api, alice, 500, "card-1", source="tok_chargeDeclined")

    assert_envelope(declined, 402, "card_declined")
    assert (again.status_code, again.json) == (402, declined.json)
    assert api.wallet(alice)["balance"] == 0


def test_a_schema_failure_is_not_stored_so_a_corrected_retry_succeeds(app, api):
    # given a request with a float amount was refused by the schema
    alice, bob = api.person(balance=5000), api.person()
    keys_before = stored_keys(app)
    bad = api.transfer(alice, bob.phone, 12.5, key="fix-me")
    assert_envelope(bad, 422, "validation_error")
    assert stored_keys(app) == keys_before

    # when the corrected request is sent with the same key
    fixed = api.transfer(alice, bob.phone, 1250, key="fix-me")

    # then it goes through
    assert fixed.status_code == 201, fixed.json
    assert api.wallet(bob)["balance"] == 1250


def test_a_refusal_that_happens_before_the_money_work_is_not_stored(app, api):
    # given a transfer above the no-PIN amount was refused for want of a PIN
    alice, bob = api.person(balance=50_000), api.person()
    over = app.config["NO_PIN_AMOUNT"] + 1
    keys_before = stored_keys(app)
    assert_envelope(api.transfer(alice, bob.phone, over, key="pin-k"), 403, "pin_required")

    # then no answer was stored under the key, so a retry is evaluated afresh
    assert stored_keys(app) == keys_before


def test_an_idempotency_key_over_255_characters_is_refused(app, api):
    alice, bob = api.person(balance=5000), api.person()

    response = api.transfer(alice, bob.phone, 100, key="k" * 256)

    assert_envelope(response, 400, "idempotency_key_invalid")
    assert api.wallet(bob)["balance"] == 0


def test_an_idempotency_key_of_exactly_255_characters_is_accepted(api):
    alice, bob = api.person(balance=5000), api.person()

    first = api.transfer(alice, bob.phone, 100, key="k" * 255)
    again = api.transfer(alice, bob.phone, 100, key="k" * 255)

    assert first.status_code == 201
    assert again.json == first.json
    assert api.wallet(bob)["balance"] == 100


def test_an_empty_idempotency_key_is_refused(api):
    alice, bob = api.person(balance=5000), api.person()

    response = api.client.post("/api/v1/transfers", json={"to": bob.phone, "amount": 100, "currency": "USD"},
                               headers={**alice.auth, "Idempotency-Key": ""})

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)
    assert api.wallet(bob)["balance"] == 0


def test_the_stored_fingerprint_of_a_pin_payment_does_not_reveal_the_pin(app, api):
    # given Alice set a payment PIN and made a large transfer with it and a key
    from app.core.idempotency import fingerprint
    alice, bob = api.person(balance=50_000), api.person()
    assert api.client.put("/api/v1/me/pin", json={"pin": "402913"}, headers=alice.auth).status_code == 204
    body = {"to": bob.phone, "amount": app.config["NO_PIN_AMOUNT"] + 1, "currency": "USD", "pin": "402913"}
    first = api.post("/api/v1/transfers", alice, json=body, key="big-1")
    assert first.status_code == 201, first.json

    # when someone holding a copy of the idempotency table hashes the request with a guessed PIN
    with app.app_context():
        stored = db.session.execute(select(IdempotencyRecord.fingerprint)
                                    .where(IdempotencyRecord.key == "big-1")).scalar_one()
    guessed = fingerprint("POST", "/api/v1/transfers", {**body, "note": None})

    # then the right guess does not match: a fast hash of a six-digit PIN would be brute-forced at once
    assert stored != guessed
    # and a retry with the PIN still gets the first answer, once
    again = api.post("/api/v1/transfers", alice, json=body, key="big-1")
    assert (again.status_code, again.json) == (201, first.json)
    assert api.wallet(bob)["balance"] == body["amount"]


def test_a_retry_with_a_wrong_pin_is_refused_before_the_stored_answer_is_given(app, api):
    # given a PIN payment made with a key
    alice, bob = api.person(balance=50_000), api.person()
    api.client.put("/api/v1/me/pin", json={"pin": "402913"}, headers=alice.auth)
    body = {"to": bob.phone, "amount": app.config["NO_PIN_AMOUNT"] + 1, "currency": "USD", "pin": "402913"}
    assert api.post("/api/v1/transfers", alice, json=body, key="big-2").status_code == 201

    # when the same request comes with the same key but a wrong PIN
    response = api.post("/api/v1/transfers", alice, json={**body, "pin": "118273"}, key="big-2")

    # then the PIN is checked first (the answer is not handed to whoever holds the key)
    assert_envelope(response, 403, "pin_invalid")
    assert api.wallet(bob)["balance"] == body["amount"]

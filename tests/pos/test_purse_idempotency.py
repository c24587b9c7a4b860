"""Case 3: taking a purse holds money, so it takes an Idempotency-Key like every money-moving
POST: a retry returns the same purse and holds nothing twice, a concurrent double request makes
one purse, and the same key with another body is refused."""
from __future__ import annotations

import threading

from tests.support.purse import Phone, purses_path


def _take(api, payer, phone, key, allowance=2_000):
    return api.post(purses_path(payer), payer, key=key, json={
        "device_key": phone.public_key, "allowance": allowance, "validity_days": 7})


def test_a_retried_purse_request_returns_the_same_purse_and_holds_once(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)

    first, retry = _take(api, payer, phone, "purse-1"), _take(api, payer, phone, "purse-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json  # the same purse, the same certificate
    assert [p["id"] for p in api.get(purses_path(payer), payer).json["data"]] == [first.json["id"]]
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["held"]) == (10_000, 2_000)
    assert _take(api, payer, phone, "purse-2").json["id"] != first.json["id"]  # a new key is a new purse
    assert api.wallet(payer)["held"] == 4_000


def test_the_same_key_with_another_body_is_a_conflict_and_holds_nothing(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert _take(api, payer, phone, "purse-1").status_code == 201

    other = _take(api, payer, phone, "purse-1", allowance=1_000)

    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_conflict"
    assert api.wallet(payer)["held"] == 2_000


def test_a_refusal_is_kept_under_the_key(app, api):
    payer = api.person(name="Customer", balance=1_000)
    phone = Phone(payer)
    refused = _take(api, payer, phone, "purse-1")
    api.topup(payer, 5_000)

    again = _take(api, payer, phone, "purse-1")  # the money is there now, but this request was declined

    assert refused.status_code == again.status_code == 402 and again.json == refused.json
    assert api.wallet(payer)["held"] == 0


def test_a_double_request_at_once_makes_one_purse(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    body = {"device_key": phone.public_key, "allowance": 2_000, "validity_days": 7}
    headers = {**payer.auth, "Idempotency-Key": "same-purse-everywhere"}
    barrier, answers = threading.Barrier(8), []

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(purses_path(payer), json=body, headers=headers)
        answers.append((response.status_code, response.json["id"]))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 8 and len(set(answers)) == 1 and answers[0][0] == 201
    assert len(api.get(purses_path(payer), payer).json["data"]) == 1
    assert api.wallet(payer)["held"] == 2_000
    assert api.verify_ledger() == []

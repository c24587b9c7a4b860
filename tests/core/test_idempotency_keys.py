"""An Idempotency-Key that is too long or malformed is 400 idempotency_key_invalid, on every
endpoint that takes one (people's apps, merchants' servers and terminals alike)."""
from __future__ import annotations

import json

import pytest

from tests.support.api import Api
from tests.support.terminals import make_terminal

KEY_MAX = 255

# Every operation that takes the header: who calls it and a body its schema accepts. Path ids
# that name nothing are fine: the key is checked before anything is looked up.
ENDPOINTS = {
    ("POST", "/api/v1/wallets/{wallet_id}/topups"): ("user", {"amount": 100, "source": "tok_visa"}),
    ("POST", "/api/v1/transfers"): ("user", {"to": "+6591999999", "amount": 100, "currency": "USD"}),
    ("POST", "/api/v1/qr/payments"): ("user", {"payload": "000201", "wallet_id": "{wallet_id}"}),
    ("POST", "/api/v1/payments/{payment_id}/confirm"): ("user", {"pin": "482913"}),
    ("POST", "/api/v1/merchant/orders"): ("server", {"amount": 100, "currency": "USD", "reference": "ORDER-1"}),
    ("POST", "/api/v1/merchant/orders/{order_id}/refunds"): ("server", {"amount": 100}),
    ("POST", "/api/v1/pos/payment-requests"): ("terminal", {"amount": 100, "currency": "USD", "reference": "T-1"}),
    ("POST", "/api/v1/pos/payment-requests/{request_id}/capture"): ("terminal", {}),
    ("POST", "/api/v1/pos/payment-requests/{request_id}/void"): ("terminal", None),
    ("POST", "/api/v1/pos/charges"): ("terminal", {"payment_code": "28" + "0" * 16, "amount": 100, "currency": "USD"}),
    ("POST", "/api/v1/pos/charges/{charge_id}/reverse"): ("terminal", None),
    ("POST", "/api/v1/pos/charges/{charge_id}/refunds"): ("terminal", {"amount": 100}),
    ("POST", "/api/v1/pos/authorizations"): ("terminal", {"payment_code": "28" + "0" * 16, "amount": 100}),
    ("POST", "/api/v1/pos/authorizations/{authorization_id}/capture"): ("terminal", {"amount": 100}),
    ("POST", "/api/v1/pos/authorizations/{authorization_id}/void"): ("terminal", None),
    ("POST", "/api/v1/pos/batches/close"): ("terminal", None),
    ("POST", "/api/v1/wallets/{wallet_id}/offline-purses"): ("user", {"device_key": "A" * 43, "allowance": 100,
                                                                     "validity_days": 1}),
}

BAD_KEYS = [pytest.param("k" * (KEY_MAX + 1), id="256-characters"), pytest.param("k" * 1000, id="1000-characters"),
            pytest.param("", id="empty"), pytest.param("bad\x01key", id="control-character"),
            pytest.param("bad\x00key", id="nul")]


def operations_taking_the_key(client) -> set[tuple[str, str]]:
    paths = client.get("/openapi.json").json["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method, operation in operations.items()
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))}


@pytest.fixture
def callers(app, api: Api):
    """A person with a wallet, a merchant's server with an API key and one of its terminals."""
    owner = api.person(name="Owner", balance=5000)
    terminal = make_terminal(api, owner=owner)
    response = api.post(f"/api/v1/merchants/{terminal.merchant_id}/api-keys", owner, json={"name": "web shop"})
    assert response.status_code == 201, response.json
    return {"person": owner, "terminal": terminal, "api_key": response.json["key"]}


def send(client, callers, method: str, template: str, body, key: str):
    person, terminal = callers["person"], callers["terminal"]
    path = template.replace("{wallet_id}", person.wallet_id)
    for name in ("payment_id", "order_id", "request_id", "charge_id", "authorization_id"):
        path = path.replace("{" + name + "}", "x_1")
    who = ENDPOINTS[(method, template)][0]
    raw = b"" if body is None else json.dumps(body).replace("{wallet_id}", person.wallet_id).encode()
    if who == "user":
        headers = dict(person.auth)
    elif who == "server":
        headers = {"Authorization": f"Bearer {callers['api_key']}"}
    else:
        headers = terminal.headers(method, path, raw)
    headers["Idempotency-Key"] = key
    if raw:
        headers["Content-Type"] = "application/json"
    return client.open(path, method=method, data=raw, headers=headers)


def test_the_table_covers_every_operation_that_takes_an_idempotency_key(client):
    assert operations_taking_the_key(client) == set(ENDPOINTS)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_too_long_or_malformed_key_is_400_idempotency_key_invalid_on_every_endpoint(client, callers, key):
    wrong = []
    for (method, path), (_, body) in ENDPOINTS.items():
        response = send(client, callers, method, path, body, key)
        if response.status_code != 400 or response.json["error"]["code"] != "idempotency_key_invalid":
            wrong.append(f"{method} {path}: {response.status_code} {response.get_data(as_text=True)[:120]}")
    assert wrong == []


def test_the_document_still_says_what_a_key_may_be(client):
    paths = client.get("/openapi.json").json["paths"]
    parameter = next(p for p in paths["/api/v1/transfers"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    schema = next((s for s in parameter["schema"].get("anyOf", []) if s.get("type") == "string"), parameter["schema"])

    assert (schema["minLength"], schema["maxLength"]) == (1, KEY_MAX)
    assert "idempotency_key_invalid" in parameter["description"]

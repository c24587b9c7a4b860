"""A merchant's own server: it holds an API key and calls /api/v1/merchant/...; and its orders."""
from __future__ import annotations

import uuid

from tests.support.qr import make_merchant


class MerchantServer:
    """The merchant's own server, calling /api/v1/merchant/... with an API key."""

    def __init__(self, client, key: str, merchant_id: str):
        self.client, self.key, self.merchant_id = client, key, merchant_id

    def _headers(self, idempotency_key: str | None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, **kwargs):
        return self.client.get(f"/api/v1/merchant{path}", headers=self._headers(None), **kwargs)

    def post(self, path: str, json=None, *, key: str | None = None):
        return self.client.post(f"/api/v1/merchant{path}", headers=self._headers(key), json=json)


def create_key(api, staff, merchant_id: str, name: str = "web shop"):
    return api.post(f"/api/v1/merchants/{merchant_id}/api-keys", staff, json={"name": name})


def make_server(app, api, *, owner=None, name: str = "Café Zürich") -> tuple:
    """An owner, their merchant (USD) and the merchant's server holding a fresh API key."""
    owner = owner or api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, name=name)
    response = create_key(api, owner, merchant["id"])
    assert response.status_code == 201, response.json
    return owner, merchant, MerchantServer(app.test_client(), response.json["key"], merchant["id"])


def new_order(server, *, amount: int = 1000, reference: str | None = None, key: str | None = None, **extra):
    body = {"amount": amount, "currency": "USD", "reference": reference or f"ORD-{uuid.uuid4().hex[:8]}", **extra}
    return server.post("/orders", body, key=key)


def make_order(server, **kwargs) -> dict:
    response = new_order(server, **kwargs)
    assert response.status_code == 201, response.json
    return response.json


def refund_order(server: MerchantServer, order_id: str, amount, *, key: str | None = None):
    return server.post(f"/orders/{order_id}/refunds", {"amount": amount}, key=key or str(uuid.uuid4()))


def paid_order(app, api, amount: int = 1000, *, money: int = 5000) -> tuple:
    """A merchant server, its merchant, a customer who started with `money`, and an order they paid."""
    from tests.support.qr import pay
    _, merchant, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=money)
    order = make_order(server, amount=amount)
    assert pay(api, customer, order["payload"]).status_code == 201
    return server, merchant, customer, server.get(f"/orders/{order['id']}").json

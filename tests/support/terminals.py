"""A terminal, as firmware would be written from the README: it signs every request; and merchants
with terminals, ready to sign requests."""
from __future__ import annotations

import json as jsonlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from app.core import clock
from app.pos import signing
from tests.support.api import Api, Person
from tests.support.qr import make_merchant


@dataclass
class TerminalClient:
    client: object  # a Flask test client (or anything with .open(path, method=, data=, headers=))
    terminal_id: str
    secret: str
    merchant_id: str = ""

    def headers(self, method: str, path_with_query: str, body: bytes, *, timestamp: int | None = None,
                nonce: str | None = None) -> dict:
        timestamp = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        return {"X-Terminal-Id": self.terminal_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                "X-Signature": signing.sign(self.secret, method, path_with_query, timestamp, nonce, body)}

    def request(self, method: str, path: str, json=None, *, query: dict | None = None, key: str | None = None,
                **signing_overrides):
        path_with_query = path + ("?" + urlencode(query) if query else "")
        body = b"" if json is None else jsonlib.dumps(json).encode()
        headers = self.headers(method, path_with_query, body, **signing_overrides)
        if body:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        return self.client.open(path_with_query, method=method, data=body, headers=headers)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.request("POST", path, json, **kwargs)


def unix_now() -> int:
    return int(time.time())


def make_terminal(api: Api, *, owner: Person | None = None, merchant: dict | None = None, kind: str = "pos",
                  label: str = "Till 1", currency: str = "USD") -> TerminalClient:
    owner = owner or api.person(name="Shop Owner")
    merchant = merchant or make_merchant(api.app, api, owner=owner, currency=currency)
    response = api.post(f"/api/v1/merchants/{merchant['id']}/terminals", owner, json={"kind": kind, "label": label})
    assert response.status_code == 201, response.json
    return TerminalClient(api.client, response.json["id"], response.json["secret"], merchant["id"])


def refund_charge(terminal: TerminalClient, charge_id: str, amount, *, key: str | None = None):
    """POST /pos/charges/{id}/refunds, under a fresh Idempotency-Key unless one is given."""
    return terminal.post(f"/api/v1/pos/charges/{charge_id}/refunds", {"amount": amount},
                         key=key or secrets.token_hex(16))


def shop_with_sale(api: Api, amount: int = 1000, *, money: int = 5000):
    """A terminal, a customer who started with `money`, and a succeeded charge of `amount`."""
    from tests.support.payment_codes import charged, phone_of
    terminal = make_terminal(api)
    alice = api.person(name="Alice Dupont", balance=money)
    return terminal, alice, charged(terminal, phone_of(api, alice), amount)

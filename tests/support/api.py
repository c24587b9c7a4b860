"""Small helpers that speak to the API the way a mobile app does."""
from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "correct-Horse-9"
_phones = itertools.count(1000001)


@dataclass
class Person:
    id: str
    phone: str | None
    email: str | None
    name: str
    password: str
    tokens: dict = field(default_factory=dict)
    wallet_id: str | None = None

    @property
    def identifier(self) -> str:
        return self.phone or self.email

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


class Api:
    def __init__(self, app, client):
        self.app, self.client = app, client

    # --- OTP outbox (the default "log" sender) ---------------------------------------------
    def outbox(self) -> list[dict]:
        path = Path(self.app.config["OTP_OUTBOX"])
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def last_code(self, to: str, purpose: str | None = None) -> str:
        messages = [m for m in self.outbox() if m["to"] == to and (purpose is None or m["purpose"] == purpose)]
        assert messages, f"no code was sent to {to}"
        return messages[-1]["code"]

    # --- accounts ----------------------------------------------------------------------------
    def register(self, *, name: str = "Test Person", phone: str | None = "auto", email: str | None = None,
                 password: str = PASSWORD):
        if phone == "auto":
            phone = f"+6591{next(_phones):06d}"
        body = {"name": name, "password": password}
        if phone:
            body["phone"] = phone
        if email:
            body["email"] = email
        return self.client.post("/api/v1/auth/register", json=body)

    def person(self, *, name: str = "Test Person", phone: str | None = "auto", email: str | None = None,
               verified: bool = True, balance: int = 0, currency: str = "USD") -> Person:
        """A registered (and by default verified and signed-in) person, optionally with money."""
        response = self.register(name=name, phone=phone, email=email)
        assert response.status_code == 201, response.json
        user = response.json["user"]
        person = Person(id=user["id"], phone=user["phone"], email=user["email"], name=name, password=PASSWORD)
        if not verified:
            return person
        code = self.last_code(person.identifier, "verify")
        response = self.client.post("/api/v1/auth/verify", json={"identifier": person.identifier, "code": code})
        assert response.status_code == 200, response.json
        person.tokens = response.json
        wallets = self.get("/api/v1/wallets", person).json["data"]
        person.wallet_id = wallets[0]["id"]
        if balance:
            self.topup(person, balance)
        return person

    # --- requests as a person ----------------------------------------------------------------
    def get(self, path: str, person: Person | None = None, **kwargs):
        return self.client.get(path, headers=person.auth if person else {}, **kwargs)

    def post(self, path: str, person: Person | None = None, json=None, key: str | None = None, **kwargs):
        headers = dict(person.auth) if person else {}
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post(path, headers=headers, json=json, **kwargs)

    def topup(self, person: Person, amount: int, *, source: str = "tok_visa", wallet_id: str | None = None):
        response = self.post(f"/api/v1/wallets/{wallet_id or person.wallet_id}/topups", person,
                             json={"amount": amount, "source": source}, key=str(uuid.uuid4()))
        assert response.status_code == 201, response.json
        return response

    def transfer(self, sender: Person, to: str, amount: int, *, currency: str = "USD", key: str | None = None,
                 **extra):
        return self.post("/api/v1/transfers", sender, json={"to": to, "amount": amount, "currency": currency,
                                                           **extra}, key=key)

    def wallet(self, person: Person, wallet_id: str | None = None) -> dict:
        response = self.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}", person)
        assert response.status_code == 200, response.json
        return response.json

    def verify_ledger(self) -> list[str]:
        from app.wallet.verify import verify_ledger
        with self.app.app_context():
            return verify_ledger()

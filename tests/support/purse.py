"""Offline purses in tests: a phone with its own Ed25519 key that takes a purse and signs tokens
(the app's side, which the README describes and this builds independently of app/), and a
terminal's purse checks through the reference terminal (terminal/purse.py)."""
from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.core import clock
from terminal.purse import TOKEN_FIELDS, message
from tests.support.api import Api, Person
from tests.support.terminals import TerminalClient

SALES = "/api/v1/pos/offline/sales"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def purses_path(person: Person) -> str:
    return f"/api/v1/wallets/{person.wallet_id}/offline-purses"


@dataclass
class Phone:
    person: Person
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    certificate: dict | None = None
    counter: int = 0

    @property
    def public_key(self) -> str:
        return b64(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def take_purse(self, api: Api, allowance: int, **body):
        response = api.post(purses_path(self.person), self.person, json={
            "device_key": self.public_key, "allowance": allowance, "validity_days": 7} | body)
        if response.status_code == 201:
            self.certificate = response.json["certificate"]
        return response

    def token(self, terminal_id: str, amount: int, *, counter: int | None = None, nonce: str | None = None,
              currency: str = "USD", time: int | None = None) -> dict:
        if counter is None:
            self.counter += 1
            counter = self.counter
        token = {"purse_id": self.certificate["purse_id"], "counter": counter, "terminal_id": terminal_id,
                 "nonce": nonce or secrets.token_hex(8), "amount": amount, "currency": currency,
                 "time": int(clock.now().timestamp()) if time is None else time}
        return token | {"signature": b64(self.key.sign(message("WPT1", TOKEN_FIELDS, token)))}

    def record(self, token: dict, **cert_changes) -> dict:
        return {"kind": "purse", "certificate": self.certificate | cert_changes, "token": token}


def upload(terminal: TerminalClient, *records: dict):
    response = terminal.post(SALES, {"records": list(records)})
    assert response.status_code == 200, response.json
    return response.json["results"]


def upload_together(app, uploads: list[tuple[TerminalClient, list[dict]]]) -> list[list[dict]]:
    """Each terminal's batch at the same moment, each from its own test client and thread."""
    barrier = threading.Barrier(len(uploads))
    answers: list = [None] * len(uploads)

    def run(index: int, terminal: TerminalClient, records: list[dict]) -> None:
        own = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret, terminal.merchant_id)
        barrier.wait()
        answers[index] = own.post(SALES, {"records": records})

    threads = [threading.Thread(target=run, args=(i, *u)) for i, u in enumerate(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(a is not None and a.status_code == 200 for a in answers), [a and a.json for a in answers]
    return [a.json["results"] for a in answers]

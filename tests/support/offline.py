"""Offline terminals in tests: a registered terminal with its offline profile, making codes the
way the reference terminal (terminal/) does, and a customer paying them in the app."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from app.core import clock
from terminal.offline import Code, Profile, make_code
from tests.support.api import Api, Person
from tests.support.terminals import TerminalClient, make_terminal

PAY = "/api/v1/qr/payments"


@dataclass
class OfflineTill:
    terminal: TerminalClient
    profile: Profile
    config: dict
    owner: Person
    seqs: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def secret(self) -> str:
        return self.terminal.secret

    def code(self, amount: int, *, seq: int | None = None, issued_at: int | None = None, **kwargs) -> Code:
        issued_at = int(clock.now().timestamp()) if issued_at is None else issued_at
        return make_code(self.secret, self.profile, seq=next(self.seqs) if seq is None else seq, amount=amount,
                         issued_at=issued_at, **kwargs)


def make_offline_till(api: Api, *, owner: Person | None = None, **kwargs) -> OfflineTill:
    owner = owner or api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner, **kwargs)
    response = terminal.get("/api/v1/pos/config")
    assert response.status_code == 200, response.json
    return OfflineTill(terminal, Profile.from_config(response.json), response.json, owner)


def pay(api: Api, payer: Person, payload: str, *, key: str | None = None, pin: str | None = None, client=None):
    body = {"payload": payload, "wallet_id": payer.wallet_id} | ({"pin": pin} if pin else {})
    headers = payer.auth | ({"Idempotency-Key": key} if key else {})
    return (client or api.client).post(PAY, json=body, headers=headers)


def record(code: Code, paid: dict, *, offline_since: int, **changes) -> dict:
    """The upload record the reference terminal keeps for a confirmed sale."""
    return {"seq": code.seq, "nonce": code.nonce, "amount": code.amount, "currency": code.currency,
            "reference": code.reference, "sold_at": code.issued_at, "offline_since": offline_since,
            "payment_id": paid["id"], "confirmation": paid["offline"]["confirmation_code"]} | changes

"""Merchants with terminals, ready to sign requests."""
from tests.helpers import Api, Person
from tests.pos.terminal_client import TerminalClient
from tests.qr.factories import make_merchant


def make_terminal(api: Api, *, owner: Person | None = None, merchant: dict | None = None, kind: str = "pos",
                  label: str = "Till 1", currency: str = "USD") -> TerminalClient:
    owner = owner or api.person(name="Shop Owner")
    merchant = merchant or make_merchant(api.app, api, owner=owner, currency=currency)
    response = api.post(f"/api/v1/merchants/{merchant['id']}/terminals", owner, json={"kind": kind, "label": label})
    assert response.status_code == 201, response.json
    return TerminalClient(api.client, response.json["id"], response.json["secret"], merchant["id"])

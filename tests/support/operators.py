"""Operators for the ops tests: an admin (tests.support.qr.make_admin), and people given operator
roles through the API the way the console would."""
from __future__ import annotations

import uuid

from tests.support.api import Api, Person
from tests.support.qr import make_admin


def grant(api: Api, admin: Person, person: Person, role: str, reason: str | None = None):
    body = {"identifier": person.identifier, "role": role}
    if reason is not None:
        body["reason"] = reason
    return api.post("/api/v1/admin/operators", admin, json=body)


def make_operator(app, api: Api, role: str, *, admin: Person | None = None, name: str | None = None) -> Person:
    """A verified, signed-in person holding operator role `role` ("admin": made as the CLI does)."""
    if role == "admin":
        return make_admin(app, api, name=name or "Admin")
    admin = admin or make_admin(app, api)
    person = api.person(name=name or role.title())
    response = grant(api, admin, person, role)
    assert response.status_code == 201, response.json
    return person


def propose(api: Api, operator: Person, wallet_id: str, amount: int, *, direction: str = "credit",
            currency: str = "USD", counter: str = "suspense", reason: str = "card double-charged",
            reference: str | None = None):
    return api.post("/api/v1/admin/adjustments", operator, json={
        "wallet_id": wallet_id, "direction": direction, "counter": counter, "amount": amount, "currency": currency,
        "reason": reason, "reference": reference or f"CASE-{uuid.uuid4().hex[:8]}"})


def decide(api: Api, operator: Person, adjustment_id: str, verb: str = "approve", note: str | None = None):
    return api.post(f"/api/v1/admin/adjustments/{adjustment_id}/{verb}", operator,
                    json={} if note is None else {"note": note})


def audit_records(app, **filters) -> list[dict]:
    from app.ops.audit.services import list_records
    with app.app_context():
        return list_records(limit=100, **filters)["data"]

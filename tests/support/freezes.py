"""Freezes through the API, as the operator console and the app would set and lift them."""
from __future__ import annotations

from tests.support.api import Api, Person

ADMIN_FREEZES = "/api/v1/admin/freezes"
MY_FREEZES = "/api/v1/me/freezes"


def freeze(api: Api, operator: Person, person: Person, *, wallet_id: str | None = None, scope: str = "all",
           reason: str = "card reported stolen", ends_at: str | None = None, expect: int | None = 201):
    """An operator's freeze of `person` (all their wallets unless wallet_id); asserts `expect`."""
    response = api.post(ADMIN_FREEZES, operator, json={"user_id": person.id, "wallet_id": wallet_id, "scope": scope,
                                                       "reason": reason, "ends_at": ends_at})
    if expect is not None:
        assert response.status_code == expect, response.json
    return response


def freeze_mine(api: Api, person: Person, *, wallet_id: str | None = None, scope: str = "all",
                reason: str = "lost phone", expect: int | None = 201):
    response = api.post(MY_FREEZES, person, json={"wallet_id": wallet_id, "scope": scope, "reason": reason})
    if expect is not None:
        assert response.status_code == expect, response.json
    return response


def lift(api: Api, operator: Person, freeze_id: str, reason: str = "card found"):
    return api.post(f"{ADMIN_FREEZES}/{freeze_id}/lift", operator, json={"reason": reason})


def lift_mine(api: Api, person: Person, freeze_id: str, pin: str):
    return api.post(f"{MY_FREEZES}/{freeze_id}/lift", person, json={"pin": pin})


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json["error"]["code"]


def refresh(api: Api, *people: Person) -> None:
    """New access tokens for people after the clock moved past their expiry (same sessions)."""
    for person in people:
        response = api.client.post("/api/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]})
        assert response.status_code == 200, response.json
        person.tokens = response.json

"""Tiers for the limit tests: an admin sets a tier's numbers and a person's tier, through the API."""
from __future__ import annotations

from tests.support.api import Api, Person

LIMITS = ("max_payment", "daily_out", "monthly_out", "max_balance", "max_topup", "offline_allowance")
OPEN = 10**12  # a limit that does not get in the way


def set_tier(api: Api, admin: Person, name: str, **limits: int):
    body = {**dict.fromkeys(LIMITS, OPEN), **limits, "reason": "limit test"}
    return api.client.put(f"/api/v1/admin/tiers/{name}", headers=admin.auth, json=body)


def move_to(api: Api, admin: Person, person: Person, tier: str, reason: str = "identity checked"):
    return api.client.put(f"/api/v1/admin/users/{person.id}/tier", headers=admin.auth,
                          json={"tier": tier, "reason": reason})


def limited(api: Api, admin: Person, person: Person, name: str = "tight", **limits: int) -> None:
    """Put `person` in a tier of their own with these limits (the others open)."""
    assert set_tier(api, admin, name, **limits).status_code == 200
    assert move_to(api, admin, person, name).status_code == 200

"""A customer at a vending machine: a phone registered for payment codes that computes its
current code offline with pyotp, exactly as the README tells an app author.

A code is single-use per device and period. Rather than move the clock (which would age the
holds under test), `code()` uses a device that has not shown a code in this period, registering
another when all have.
"""
from __future__ import annotations

import pyotp

from app.core import clock
from tests.helpers import Api, Person


class Customer:
    def __init__(self, api: Api, person: Person):
        self.api, self.person = api, person
        self.devices: list[dict] = []
        self.used: set[tuple[str, int]] = set()  # (device id, period) that already showed a code

    def _register(self) -> dict:
        response = self.api.post("/api/v1/devices", self.person, json={"name": f"Phone {len(self.devices) + 1}"})
        assert response.status_code == 201, response.json
        self.devices.append(response.json)
        return response.json

    def code(self, slot: int = 0) -> str:
        """A fresh code for the wallet in `slot` (its place in GET /wallets)."""
        fresh = [d for d in self.devices if (d["id"], _period(d)) not in self.used]
        device = fresh[0] if fresh else self._register()
        self.used.add((device["id"], _period(device)))
        return current_code(device, slot)


def _period(device: dict) -> int:
    return int(clock.now().timestamp()) // device["period"]


def current_code(device: dict, slot: int = 0) -> str:
    """prefix + handle + slot + TOTP(secret, 8 digits, period) at the (movable) clock."""
    totp = pyotp.TOTP(device["secret"], digits=device["digits"], interval=device["period"])
    return f"{device['prefix']}{device['handle']}{slot}{totp.at(clock.now())}"


def customer(api: Api, *, balance: int = 0, name: str = "Vending Customer") -> Customer:
    return Customer(api, api.person(name=name, balance=balance))

"""The customer's side of a charge: a phone registered for payment codes that computes its
current code offline with pyotp, as the README describes it; and small charging helpers.

A code is single-use per device and period, so `code()` takes a device that has not shown a
code in this period, registering another one when needed (rather than moving the clock, which
would age the charges under test).
"""
from __future__ import annotations

import pyotp

from app.core import clock
from tests.support.api import Api, Person


class Phone:
    def __init__(self, api: Api, person: Person):
        self.api, self.person = api, person
        self.devices: list[dict] = []
        self.shown: set[tuple[str, int]] = set()  # (device id, period) already used for a code

    def _register(self) -> dict:
        response = self.api.post("/api/v1/devices", self.person, json={"name": f"Phone {len(self.devices) + 1}"})
        assert response.status_code == 201, response.json
        self.devices.append(response.json)
        return response.json

    def code(self, slot: int = 0) -> str:
        """A fresh code for the wallet in `slot` (its place in GET /wallets)."""
        for device in self.devices or [self._register()]:
            step = int(clock.now().timestamp()) // device["period"]
            if (device["id"], step) not in self.shown:
                break
        else:
            device = self._register()
            step = int(clock.now().timestamp()) // device["period"]
        self.shown.add((device["id"], step))
        return code_of(device, slot)


def code_of(device: dict, slot: int = 0) -> str:
    """prefix + handle + slot + TOTP(secret, 8 digits, period), at the app's (movable) clock."""
    totp = pyotp.TOTP(device["secret"], digits=device["digits"], interval=device["period"])
    return f"{device['prefix']}{device['handle']}{slot}{totp.at(clock.now())}"


def phone_of(api: Api, person: Person) -> Phone:
    return Phone(api, person)


# --- a customer at a vending machine: a person with money and a phone, as above ----------------

Customer = Phone


def customer(api: Api, *, balance: int = 0, name: str = "Vending Customer") -> Phone:
    return Phone(api, api.person(name=name, balance=balance))


# --- a shop and its customer, and charging ---------------------------------------------------

PIN = "482913"


def set_pin(api: Api, person: Person, pin: str = PIN) -> None:
    response = api.client.put("/api/v1/me/pin", json={"pin": pin}, headers=person.auth)
    assert response.status_code == 204, response.json


def charge(terminal, code: str, amount: int, *, currency: str = "USD", reference: str | None = "R-1",
           key: str | None = None):
    body = {"payment_code": code, "amount": amount, "currency": currency}
    if reference is not None:
        body["reference"] = reference
    return terminal.post("/api/v1/pos/charges", body, key=key)


def charged(terminal, phone: Phone, amount: int, **kwargs) -> dict:
    """A charge of a fresh code that the API accepted (201)."""
    response = charge(terminal, phone.code(), amount, **kwargs)
    assert response.status_code == 201, response.json
    return response.json


def balance(api: Api, person: Person) -> int:
    return api.wallet(person)["balance"]

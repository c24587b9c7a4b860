"""A customer at a vending machine: a person with money and a phone that computes payment codes
offline (tests.pos.payment_codes.Phone, exactly as the README tells an app author)."""
from __future__ import annotations

from tests.helpers import Api
from tests.pos.payment_codes import Phone

Customer = Phone


def customer(api: Api, *, balance: int = 0, name: str = "Vending Customer") -> Phone:
    return Phone(api, api.person(name=name, balance=balance))

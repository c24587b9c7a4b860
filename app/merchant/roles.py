"""What each merchant staff role may do. The one table the staff checks read (and the README shows).

    right       owner  manager  cashier
    read          x       x        x     the merchant, its sales, CSV, orders, batches and settlements, its QR codes
    issue_qr      x       x        x     make QR codes for customers to pay
    terminals     x       x              register, disable, enable terminals, rotate their secrets, set limits
    webhooks      x       x              endpoints, deliveries, retries, tests
    staff         x       x              list staff; a manager adds and removes cashiers only
    api_keys      x                      create, list and revoke the merchant's server keys
    roles         x                      give any role, remove managers and owners
    limits        x                      the merchant's own limits: largest charge, daily refunds

A cashier works the till: that needs no power over the shop's keys, endpoints or people, and a
stolen cashier's phone must not be able to point the shop's webhooks or money elsewhere.
"""
from __future__ import annotations

ROLES = ("owner", "manager", "cashier")

RIGHTS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "issue_qr": frozenset(ROLES),
    "terminals": frozenset({"owner", "manager"}),
    "webhooks": frozenset({"owner", "manager"}),
    "staff": frozenset({"owner", "manager"}),
    "api_keys": frozenset({"owner"}),
    "roles": frozenset({"owner"}),
    "limits": frozenset({"owner"}),
}

WHAT = {  # for the refusal's message: "a cashier may not <what>"
    "read": "read this merchant", "issue_qr": "issue QR codes", "terminals": "manage terminals",
    "webhooks": "manage webhooks", "staff": "manage staff", "api_keys": "manage API keys",
    "roles": "give that role or remove that person", "limits": "change the merchant's limits",
}


def may(role: str, right: str) -> bool:
    return role in RIGHTS[right]

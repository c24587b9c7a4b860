"""Factories for merchant and QR tests: an admin, a merchant with its owner, codes and payments.

Everything goes through the API the way an admin console, a merchant's till and the mobile app
would, except the admin itself (there is no API to make one: `flask create-admin` in production).
"""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from tests.support.api import Api, Person

ADMIN_PASSWORD = "an-Admin-pass-1"
PIN = "482913"
VECTORS = Path(os.environ.get("EMV_VECTORS") or
               Path(__file__).resolve().parents[3] / "shared" / "vectors" / "emv_mpm_public.json")

_admins = itertools.count(1)


def make_admin(app, api: Api, *, email: str | None = None, name: str = "Root") -> Person:
    """A signed-in administrator."""
    from app.cli_seed import create_user
    email = email or f"admin{next(_admins)}@example.com"
    with app.app_context():
        user_id = create_user(email=email, password=ADMIN_PASSWORD, name=name, role="admin").id
    response = api.client.post("/api/v1/auth/login", json={"identifier": email, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.json
    return Person(id=user_id, phone=None, email=email, name=name, password=ADMIN_PASSWORD, tokens=response.json)


def merchant_body(*, owner: Person, name: str = "Café Zürich", city: str = "Zürich", country: str = "CH",
                  mcc: str = "5814", currency: str = "USD", language: str | None = None) -> dict:
    body = {"name": name, "city": city, "country": country, "mcc": mcc, "currency": currency,
            "owner": owner.identifier}
    if language is not None:
        body["language"] = language
    return body


def make_merchant(app, api: Api, *, owner: Person, admin: Person | None = None, name: str = "Café Zürich",
                  city: str = "Zürich", country: str = "CH", mcc: str = "5814", currency: str = "USD",
                  language: str | None = None) -> dict:
    """A merchant created by an admin (a new one unless given), `owner` its first staff member."""
    admin = admin or make_admin(app, api)
    response = api.post("/api/v1/admin/merchants", admin,
                        json=merchant_body(owner=owner, name=name, city=city, country=country, mcc=mcc,
                                           currency=currency, language=language))
    assert response.status_code == 201, response.json
    return response.json


def create_code(api: Api, staff: Person, merchant: dict, **body):
    """POST a QR code for `merchant` as `staff`; the raw response."""
    return api.post(f"/api/v1/merchants/{merchant['id']}/qr-codes", staff, json=body)


def make_code(api: Api, staff: Person, merchant: dict, *, kind: str = "dynamic", currency: str | None = None,
              amount: int | None = None, reference: str | None = None, expires_in: int | None = None) -> dict:
    """A new code: dynamic for 12.50 (in the merchant's currency) unless told otherwise."""
    body = {"kind": kind, "currency": currency or merchant["currency"]}
    if kind == "dynamic":
        body["amount"] = 1250 if amount is None else amount
    elif amount is not None:
        body["amount"] = amount
    if reference is not None:
        body["reference"] = reference
    if expires_in is not None:
        body["expires_in"] = expires_in
    response = create_code(api, staff, merchant, **body)
    assert response.status_code == 201, response.json
    return response.json


def pay(api: Api, payer: Person, payload: str, *, wallet_id: str | None = None, amount: int | None = None,
        pin: str | None = None, key: str | None = None):
    body = {"payload": payload, "wallet_id": wallet_id or payer.wallet_id}
    if amount is not None:
        body["amount"] = amount
    if pin is not None:
        body["pin"] = pin
    return api.post("/api/v1/qr/payments", payer, json=body, key=key)


def tlv(tag: str, value: str) -> str:
    """One EMV ID-length-value field written by hand, for payloads our encoder would not write."""
    return f"{tag}{len(value):02d}{value}"


def with_crc(body: str) -> str:
    """Finish a hand-written EMV body with tag 63 and its correct check digits."""
    from app.qr.emv import crc16_ccitt_false
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def decode(api: Api, person: Person, payload: str):
    return api.post("/api/v1/qr/decode", person, json={"payload": payload})


def merchant_balance(app, merchant_id: str, currency: str = "USD") -> int:
    from app.merchant.services import merchant_account
    from app.wallet.ledger import balance_with_buckets
    with app.app_context():
        return balance_with_buckets(merchant_account(merchant_id, currency).id).balance


def payment_count(app) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.wallet.models import Transaction
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Transaction)
                                  .where(Transaction.type == "payment")).scalar_one()


def vectors(expect: str) -> list:
    """The public vectors expected to decode ("OK") or be refused ("FAIL"), as pytest params."""
    if not VECTORS.is_file():
        reason = f"EMV vector file not found at {VECTORS} (set EMV_VECTORS to point at it)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-vectors")]
    return [pytest.param(v, id=v["name"]) for v in json.loads(VECTORS.read_text(encoding="utf-8"))
            if v["expect"] == expect]

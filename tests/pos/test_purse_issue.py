"""Case 3, online beforehand: a purse holds its allowance on the wallet and comes with a
certificate that the issuer key signed; closing it stops it at once and returns the rest later."""
from __future__ import annotations

from app.core import clock
from app.extensions import db
from app.wallet.models import Account
from app.pos.purse.services import release_due
from terminal.purse import CERT_FIELDS, _verifies, message
from tests.support.purse import Phone, purses_path
from tests.support.terminals import make_terminal


def test_a_purse_holds_its_allowance_and_its_certificate_verifies_with_the_published_key(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)

    created = phone.take_purse(api, 3_000, max_payment=1_000)

    assert created.status_code == 201, created.json
    cert = created.json["certificate"]
    assert (cert["allowance"], cert["max_payment"], cert["currency"]) == (3_000, 1_000, "USD")
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["available"], wallet["held"]) == (10_000, 7_000, 3_000)
    config = make_terminal(api).get("/api/v1/pos/config").json["offline"]["purse"]
    keys = {k["kid"]: k["public_key"] for k in config["issuer_keys"]}
    assert _verifies(keys[cert["kid"]], message("WPC1", CERT_FIELDS, cert), cert["signature"])
    listed = api.get(purses_path(payer), payer).json["data"]
    assert [p["id"] for p in listed] == [cert["purse_id"]]


def test_issuing_is_refused_above_the_limit_without_money_or_without_the_pin(app, api, monkeypatch):
    payer = api.person(name="Customer", balance=1_000)
    phone = Phone(payer)

    assert phone.take_purse(api, 5_001).json["error"]["code"] == "validation_error"
    assert phone.take_purse(api, 2_000).json["error"]["code"] == "insufficient_funds"
    monkeypatch.setitem(app.config, "NO_PIN_AMOUNT", 100)
    assert phone.take_purse(api, 500).json["error"]["code"] == "pin_required"
    assert api.wallet(payer)["held"] == 0


def test_a_closed_purse_is_revoked_at_once_and_its_hold_returns_after_the_grace_period(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    purse_id = phone.take_purse(api, 2_000).json["certificate"]["purse_id"]
    terminal = make_terminal(api)

    closed = api.post(f"{purses_path(payer)}/{purse_id}/close", payer)

    assert closed.status_code == 200 and closed.json["status"] == "closed"
    assert purse_id in terminal.get("/api/v1/pos/config").json["offline"]["purse"]["revoked"]
    with app.app_context():
        assert release_due() == 0  # still within the grace period for late uploads
    assert api.wallet(payer)["held"] == 2_000
    clock.advance(app.config["OFFLINE_PURSE_GRACE_HOURS"] * 3600 + 60)
    with app.app_context():
        assert release_due() == 1
        assert release_due() == 0  # released once
        wallet = db.session.get(Account, payer.wallet_id, populate_existing=True)
        assert (wallet.held, wallet.balance) == (0, 10_000)
    assert api.verify_ledger() == []

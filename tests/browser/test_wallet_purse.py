"""The offline purse on the wallet page, in Chromium at 390 px: reserve an amount (the key pair
made in the browser by WebCrypto Ed25519), pay a till's offline code with a token signed in the
page and shown as a QR, which the reference terminal (terminal/purse.py) accepts and the server
pays; what is left and the purse's state follow; above the cap the page signs nothing; close."""
from __future__ import annotations

import json
import re

import pytest

from app.core import clock
from terminal.purse import refusal
from tests.support.browser import read_qr, sign_in_with_a_code
from tests.support.offline import make_offline_till
from tests.support.purse import purses_path, upload

expect = pytest.importorskip("playwright.sync_api").expect


def till_check(till, code) -> dict:
    purse = till.config["offline"]["purse"]
    return {"issuer_keys": {k["kid"]: k["public_key"] for k in purse["issuer_keys"]}, "revoked": set(purse["revoked"]),
            "terminal_id": till.profile.terminal_id, "nonce": code.nonce, "currency": "USD",
            "now": int(clock.now().timestamp())}


def test_reserve_pay_a_till_offline_see_what_is_left_and_close(phone_page, api, console):
    page = phone_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Close this purse? ..."
    alice = api.person(name="Alice", balance=10_000)
    till = make_offline_till(api)
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="Purse").click()
    expect(page.locator("#purse-unsupported")).to_be_hidden()  # Debian's Chromium has WebCrypto Ed25519

    page.get_by_label("Amount to set aside").fill("20")
    page.get_by_label("Largest single payment (optional)").fill("15")
    page.get_by_role("button", name="Reserve").click()
    purse_row = page.locator("#purses li")
    expect(purse_row).to_contain_text("$20.00 left of $20.00")
    expect(purse_row).to_contain_text("(on this phone)")
    [purse] = api.get(purses_path(alice), alice).json["data"]
    assert (purse["allowance"], purse["max_payment"], purse["status"]) == (2_000, 1_500, "active")
    assert api.wallet(alice)["held"] == 2_000

    code = till.code(450, reference="T-7")
    page.get_by_role("button", name="Pay with the USD purse").click()
    page.get_by_label("Or paste the till's code").fill(code.payload)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#purse-preview")).to_contain_text("$4.50")
    page.get_by_role("button", name="Pay with the purse").click()
    expect(page.locator("#purse-token-text")).to_have_value(re.compile("^WPP1:"))
    text = page.locator("#purse-token-text").input_value()
    assert read_qr(page.locator("#purse-qr").screenshot()) == text  # the QR says what the text says
    assert text.startswith("WPP1:")
    shown = json.loads(text.removeprefix("WPP1:"))
    cert, token = shown["certificate"], shown["token"]
    assert cert == purse["certificate"]
    assert (token["counter"], token["amount"], token["terminal_id"]) == (1, 450, till.profile.terminal_id)
    assert refusal(cert, token, **till_check(till, code)) is None  # the reference terminal accepts it

    [result] = upload(till.terminal, {"kind": "purse", "certificate": cert, "token": token})
    assert result["status"] == "posted" and result["overspend"] is False
    page.get_by_role("button", name="Home").click()
    page.get_by_role("button", name="Purse").click()
    expect(purse_row).to_contain_text("$15.50 left of $20.00")
    expect(purse_row).to_contain_text("spent $4.50")

    # Above the purse's cap the page signs nothing (the till would refuse it: above_cap).
    page.get_by_role("button", name="Pay with the USD purse").click()
    page.get_by_label("Or paste the till's code").fill(till.code(1_600).payload)
    page.get_by_role("button", name="Check").click()
    page.get_by_role("button", name="Pay with the purse").click()
    expect(page.get_by_role("alert")).to_have_text("At most $15.00 a payment from this purse.")
    expect(page.locator("#purse-token")).to_be_hidden()

    page.get_by_role("button", name="Close the USD purse").click()
    expect(purse_row).to_contain_text("closed")
    expect(page.get_by_role("button", name="Pay with the USD purse")).to_have_count(0)
    assert api.get(purses_path(alice), alice).json["data"][0]["status"] == "closed"

    # A signed-out browser keeps no key that spends money: its purses are closed on the way out.
    page.get_by_label("Amount to set aside").fill("5")
    page.get_by_role("button", name="Reserve").click()
    expect(page.locator("#purses li").filter(has_text="$5.00 left of $5.00")).to_have_count(1)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert [p["status"] for p in api.get(purses_path(alice), alice).json["data"]] == ["closed", "closed"]
    assert console.errors == []

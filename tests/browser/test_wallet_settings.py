"""Settings and the statement on the wallet page, in Chromium at 390 px: turning on the
authenticator, ending another signed-in session, and a month's statement."""
from __future__ import annotations

import pyotp
import pytest

from tests.support.browser import read_qr, sign_in_with_a_code

expect = pytest.importorskip("playwright.sync_api").expect


def test_turning_on_the_authenticator_and_ending_another_session(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice")  # signed in once by the API: that is the other session
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="Settings").click()

    sessions = page.locator("#sessions li")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="(this one)")).to_have_count(1)
    sessions.get_by_role("button", name="Sign it out").click()
    expect(sessions).to_have_count(1)
    assert api.client.post("/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]}).status_code == 401

    page.get_by_role("button", name="Turn on the authenticator").click()
    expect(page.locator("#totp-secret")).not_to_be_empty()
    secret = page.locator("#totp-secret").inner_text()
    assert read_qr(page.locator("#totp-qr").screenshot()).startswith("otpauth://totp/")
    page.get_by_label("The app's six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on", exact=True).click()
    expect(page.locator("#recovery-codes li")).not_to_have_count(0)
    expect(page.locator("#totp-state")).to_contain_text("On")
    assert api.client.post("/api/v1/auth/login", json={"identifier": alice.identifier, "password": alice.password}
                           ).json.get("mfa_required") is True
    assert console.errors == []


def test_the_monthly_statement(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=2500)
    api.topup(alice, 500)
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="History").click()
    page.get_by_role("button", name="Show statement").click()  # this month, by default
    statement = page.locator("#statement")
    expect(statement).to_contain_text("Opening balance$0.00")
    expect(statement).to_contain_text("topupin $30.00, out $0.00")
    expect(statement).to_contain_text("Closing balance$30.00")
    assert console.errors == []

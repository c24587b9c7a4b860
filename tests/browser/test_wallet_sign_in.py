"""Signing up and in on the wallet page, in Chromium at 390 px: sign-up with the code from the
outbox, a demo user's password (as after `flask seed-demo`), password plus authenticator."""
from __future__ import annotations

import pytest

from app.cli_seed import DEMO_PASSWORD, seed_demo_data
from tests.support.auth import next_totp, totp_now
from tests.support.browser import sent_code

expect = pytest.importorskip("playwright.sync_api").expect


def test_sign_up_with_the_code_from_the_outbox_opens_a_wallet(phone_page, api, console):
    page = phone_page
    page.goto("/")
    page.get_by_text("New here? Sign up").click()
    page.get_by_label("Name").fill("Dana")
    page.get_by_label("Phone (+65...) or e-mail").fill("+6591999001")
    page.get_by_label("Password", exact=True).last.fill("a-Long-passw0rd")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#su-code").fill(sent_code(api, "+6591999001", "verify"))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.locator("#who")).to_have_text("Dana")
    expect(page.locator("#balances .balance")).to_have_text("$0.00")
    assert console.errors == []


def test_a_demo_user_signs_in_with_the_password(app, phone_page, console):
    with app.app_context():
        seed_demo_data()
    page = phone_page
    page.goto("/")
    page.get_by_text("Sign in with a password").click()
    page.locator("#pw-identifier").fill("alice@demo.test")
    page.locator("#pw-password").fill(DEMO_PASSWORD)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("Alice Demo")
    expect(page.locator("#balances .balance")).to_have_text("$500.00")
    assert console.errors == []


def test_password_then_authenticator_code(app, phone_page, api, console):
    alice = api.person(name="Alice")
    secret = api.post("/api/v1/auth/totp/setup", alice).json["secret"]
    assert api.post("/api/v1/auth/totp/enable", alice, json={"code": totp_now(secret)}).status_code == 200
    page = phone_page
    page.goto("/")
    page.get_by_text("Sign in with a password").click()
    page.locator("#pw-identifier").fill(alice.identifier)
    page.locator("#pw-password").fill(alice.password)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(next_totp(app, secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#who")).to_have_text("Alice")
    assert console.errors == []

"""The merchant dashboard in the page tests: its desktop viewport and the password sign-in the
wallet uses, on /merchant (as tests/browser/test_merchant_dashboard.py signs in)."""
from __future__ import annotations

DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, person):
    """Signs in on /merchant and waits for the sales list to load."""
    from playwright.sync_api import expect
    page.goto("/merchant")
    page.get_by_text("Sign in with a password").click()
    page.locator("#password-login").get_by_label("Phone or e-mail").fill(person.identifier)
    page.locator("#password-login").get_by_label("Password").fill(person.password)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()
    expect(page.locator("#sales-end")).not_to_be_empty()

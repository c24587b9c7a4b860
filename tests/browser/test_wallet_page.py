"""The wallet at `/` in Chromium at 390 px: one person's journey through the page, checking what
they see and what the API then holds. One page for the whole journey (the machine is small)."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import read_qr, sign_in_with_a_code
from tests.support.payment_codes import charge
from tests.support.qr import create_code
from tests.support.terminals import make_terminal

expect = pytest.importorskip("playwright.sync_api").expect
EIGHTEEN_DIGITS = re.compile(r"^\d{18}$")


def test_a_person_signs_in_sends_pays_and_shows_their_code(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=5000)
    bob = api.person(name="Bob")
    owner = api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner)

    sign_in_with_a_code(page, api, alice)
    assert page.locator("#who").inner_text() == "Alice"
    expect(page.locator("#balances .balance")).to_have_text("$50.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    # Send money: the balance drops and the transfer is in the history, with its receipt.
    page.get_by_label("To (phone, e-mail or wallet id)").fill(bob.identifier)
    page.get_by_label("Amount").first.fill("12.5")
    page.get_by_label("Note").fill("lunch")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text(f"Sent $12.50 to {bob.identifier}.").wait_for()
    expect(page.locator("#balances .balance")).to_have_text("$37.50")
    assert api.wallet(bob)["balance"] == 1250
    page.get_by_role("button", name="History").click()
    first = page.locator("#history-list .row").first
    expect(first).to_contain_text("lunch")
    expect(first).to_contain_text("-$12.50")
    first.click()
    expect(page.locator("#receipt")).to_contain_text("lunch")
    page.locator("#receipt").get_by_role("button", name="Close").click()

    # Pay a merchant's dynamic QR code by pasting its payload.
    payload = create_code(api, owner, terminal_merchant(terminal), kind="dynamic", currency="USD", amount=450,
                          reference="T12-0042").json["payload"]
    page.get_by_role("button", name="Pay").click()
    page.get_by_label("Or paste the code's text").fill(payload)
    page.get_by_role("button", name="Check").click()
    preview = page.locator("#pay-preview")
    preview.get_by_text("T12-0042").wait_for()
    assert "$4.50" in preview.inner_text() and "Café Zürich" in preview.inner_text()
    page.locator("#pay-confirm").get_by_role("button", name="Pay").click()
    page.locator("#pay-receipt").get_by_text("Paid").wait_for()
    assert "T12-0042" in page.locator("#pay-receipt").inner_text()
    assert api.wallet(alice)["balance"] == 5000 - 1250 - 450

    # My code: what the page shows (digits and QR) is a code the terminal can charge.
    page.get_by_role("button", name="My code").click()
    digits = page.locator("#code-digits")
    digits.wait_for()
    expect(page.locator("#code-digits")).to_have_attribute("data-code", EIGHTEEN_DIGITS)
    code = digits.get_attribute("data-code")
    assert len(code) == 18 and read_qr(page.locator("#code-qr").screenshot()) == code
    response = charge(terminal, code, 300)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "succeeded"
    assert api.wallet(alice)["balance"] == 5000 - 1250 - 450 - 300

    assert console.errors == []


def terminal_merchant(terminal) -> dict:
    return {"id": terminal.merchant_id}

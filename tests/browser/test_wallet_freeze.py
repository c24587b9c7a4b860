"""Freezing one's own wallet from the wallet page (a lost phone), in Chromium at 390 px: set in
Settings, shown on the balance, refused by the API while it holds, lifted with the PIN only after
a fresh sign-in; an operator's freeze is shown with no lift button. Each test also fails on any
console error or CSP refusal."""
from __future__ import annotations

import time

import pytest

from tests.support.auth import advance
from tests.support.browser import sign_in_with_a_code
from tests.support.freezes import freeze
from tests.support.operators import make_operator

expect = pytest.importorskip("playwright.sync_api").expect
PIN = "482913"


def logins(api, person) -> list[dict]:
    return [m for m in api.outbox() if m["to"] == person.identifier and m["purpose"] == "login"]


def sign_in_again(page, api, person):
    """The second sign-in with a code: waits for the new code (sent after the API's answer), not
    the first sign-in's, which is still in the outbox."""
    before = len(logins(api, person))
    page.get_by_label("Phone or e-mail").first.fill(person.identifier)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("The six-digit code we sent").first.wait_for()
    deadline = time.monotonic() + 5
    while len(logins(api, person)) == before:
        assert time.monotonic() < deadline, "no new code was sent"
        time.sleep(0.05)
    page.get_by_label("The six-digit code we sent").first.fill(logins(api, person)[-1]["code"])
    page.get_by_role("button", name="Sign in").first.click()
    page.locator("#balances .balance").first.wait_for()


def test_freezing_my_wallet_then_lifting_it_with_the_pin_after_signing_in_again(app, phone_page, api, console):
    page = phone_page
    lena = api.person(name="Lena Lost", balance=3_000)
    bob = api.person(name="Bob")
    assert api.client.put("/api/v1/me/pin", json={"pin": PIN}, headers=lena.auth).status_code in (200, 204)
    sign_in_with_a_code(page, api, lena)

    page.get_by_role("button", name="Settings").click()
    expect(page.locator("#my-freezes-none")).to_be_visible()
    form = page.locator("#my-freeze-form")
    form.get_by_label("Which").select_option(label="all my wallets")
    form.get_by_label("What stops").select_option("all")
    form.get_by_label("Why").fill("phone left in a taxi")
    form.get_by_role("button", name="Freeze").click()
    expect(page.locator("#notice")).to_have_text("Frozen: all my wallets.")
    mine = page.locator("#my-freezes li")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text('all my wallets: nothing moves, in or out, "phone left in a taxi"')
    refused = api.transfer(lena, bob.phone, 100)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "wallet_frozen")

    page.get_by_role("button", name="Home").click()
    expect(page.locator("#balances .card .frozen")).to_have_text("Frozen: nothing moves, in or out, until lifted")

    # Six minutes on: the sign-in is no longer fresh. The page says why and offers to sign in again.
    advance(app, 360)
    page.get_by_role("button", name="Settings").click()
    mine.get_by_label("PIN to lift the freeze of all my wallets").fill(PIN)
    mine.get_by_role("button", name="Lift").click()
    expect(page.locator("#error")).to_contain_text("sign in again first")
    assert api.wallet(lena)["frozen"] == {"scope": "all", "ends_at": None}
    page.get_by_role("button", name="Sign in again").click()
    expect(page.locator("#signin")).to_be_visible()

    sign_in_again(page, api, lena)
    page.get_by_role("button", name="Settings").click()
    mine.get_by_label("PIN to lift the freeze of all my wallets").fill(PIN)
    mine.get_by_role("button", name="Lift").click()
    expect(page.locator("#notice")).to_have_text("The freeze is lifted.")
    expect(mine).to_have_count(0)
    assert api.wallet(lena)["frozen"] is None
    assert api.transfer(lena, bob.phone, 100).status_code == 201
    page.get_by_role("button", name="Home").click()
    expect(page.locator("#balances .card .frozen")).to_have_count(0)
    # the refused lift was a 403 the browser logs as a failed request; nothing else may be logged
    assert [e for e in console.errors if "403" not in e] == []


def test_an_operators_freeze_is_shown_with_no_lift_button(app, phone_page, api, console):
    page = phone_page
    sam = make_operator(app, api, "support")
    mia = api.person(name="Mia", balance=500)
    freeze(api, sam, mia, wallet_id=mia.wallet_id, scope="debits", reason="suspected fraud, case 31")
    sign_in_with_a_code(page, api, mia)
    expect(page.locator("#balances .card .frozen")).to_have_text("Frozen: no money goes out, until lifted")

    page.get_by_role("button", name="Settings").click()
    row = page.locator("#my-freezes li")
    expect(row).to_contain_text('USD wallet: no money goes out, "suspected fraud, case 31"')
    expect(row).to_contain_text("Frozen by our support team: only they can lift it")
    expect(row.get_by_role("button")).to_have_count(0)
    assert console.errors == []

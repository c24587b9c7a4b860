"""The wallet's other journeys in Chromium at 390 px: a terminal's charge approved with the PIN
(and a wrong PIN's message from the API), history paging and CSV, the session across reload,
refresh and sign-out, the payment code offline, and amounts in minor units."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.support.browser import sign_in_with_a_code
from tests.support.payment_codes import PIN, charge, phone_of, set_pin
from tests.support.qr import create_code, make_merchant
from tests.support.terminals import make_terminal

expect = pytest.importorskip("playwright.sync_api").expect
EIGHTEEN_DIGITS = re.compile(r"^\d{18}$")


def test_amounts_are_minor_units_with_each_currencys_exponent(phone_page):
    phone_page.goto("/")
    results = phone_page.evaluate("""async () => {
        const {format, parse} = await import("/static/wallet/js/money.js");
        return [format(1250, "USD"), format(500, "JPY"), format(1250, "KWD"), format(-5, "USD"),
                parse("12.5", "USD"), parse("0.1", "USD"), parse("500", "JPY"), parse("1.5", "JPY"),
                parse("12.345", "USD"), parse("0", "USD"), parse("1e3", "USD"), parse("9007199254740993", "JPY")];
    }""")
    assert results[:4] == ["$12.50", "¥500", "KWD\xa01.250", "-$0.05"]
    assert results[4:] == [1250, 10, 500, None, None, None, None, None]


def test_a_large_charge_waits_for_the_pin_and_a_wrong_pin_shows_the_apis_message(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=20_000)
    set_pin(api, alice)
    terminal = make_terminal(api)
    made = charge(terminal, phone_of(api, alice).code(), 15_000, reference="TV-1").json
    assert made["status"] == "requires_confirmation"

    sign_in_with_a_code(page, api, alice)
    pending = page.locator("#pending li")
    expect(pending).to_contain_text("$150.00")
    pending.get_by_label("PIN").fill("000000")
    pending.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_have_text("the PIN is wrong")  # the envelope's message
    pending.get_by_label("PIN").fill(PIN)
    pending.get_by_role("button", name="Approve").click()
    expect(page.locator("#pending-box")).to_be_hidden()
    expect(page.locator("#balances .balance")).to_have_text("$50.00")
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "succeeded"
    # The wrong PIN's 403 is the one console error: Chromium logs every failed request.
    assert [e for e in console.errors if "403" not in e] == []


def test_history_pages_on_the_cursor_filters_and_downloads_csv(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice")
    for _ in range(25):  # more than one page of 20
        api.topup(alice, 100)
    bob = api.person(name="Bob")
    assert api.transfer(alice, bob.identifier, 40, key=str(uuid.uuid4()), note="coffee").status_code == 201

    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="History").click()
    rows = page.locator("#history-list .row")
    expect(rows.first).to_contain_text("coffee")
    page.locator("#history-end").scroll_into_view_if_needed()
    expect(rows).to_have_count(26)
    expect(page.locator("#history-end")).to_have_text("That is all.")

    page.get_by_label("Search").fill("coffee")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(rows).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("id,created_at,sold_at,type,amount") and len(lines) == 2 and "-40" in lines[1]
    assert console.errors == []


def test_the_session_survives_a_reload_is_refreshed_before_expiry_and_ends_on_sign_out(app, phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice")
    app.config["ACCESS_TOKEN_TTL"] = 65  # the page refreshes 60 s early: at 5 s
    try:
        sign_in_with_a_code(page, api, alice)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh"), timeout=15_000) as refreshed:
            pass
        assert refreshed.value.status == 200
    finally:
        app.config["ACCESS_TOKEN_TTL"] = 15 * 60
    page.reload()  # the refresh token is in sessionStorage: the tab stays signed in
    expect(page.locator("#who")).to_have_text("Alice")
    token = page.evaluate("sessionStorage.getItem('wallet.refresh')")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('wallet.refresh')") is None
    assert api.client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code == 401
    assert console.errors == []


def test_the_payment_code_shows_offline(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=1000)
    terminal = make_terminal(api)
    sign_in_with_a_code(page, api, alice)
    page.evaluate("navigator.serviceWorker.ready")  # the app shell is cached
    page.get_by_role("button", name="My code").click()
    expect(page.locator("#code-digits")).to_have_attribute("data-code", EIGHTEEN_DIGITS)

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("status")).to_have_text("You are offline: your payment code still works.")
    expect(page.locator("#code-digits")).to_have_attribute("data-code", EIGHTEEN_DIGITS)
    code = page.locator("#code-digits").get_attribute("data-code")
    page.context.set_offline(False)
    response = charge(terminal, code, 200)
    assert response.status_code == 201 and response.json["status"] == "succeeded", json.dumps(response.json)
    # Offline, the refresh could not reach the server: Chromium logs that failed fetch.
    assert [e for e in console.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_paying_a_code_above_the_no_pin_limit_asks_for_the_pin(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=20_000)
    set_pin(api, alice)
    owner = api.person(name="Shop Owner")
    merchant = make_merchant(api.app, api, owner=owner)
    payload = create_code(api, owner, merchant, kind="dynamic", currency="USD", amount=15_000,
                          reference="BIG-1").json["payload"]

    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="Pay").click()
    page.get_by_label("Or paste the code's text").fill(payload)
    page.get_by_role("button", name="Check").click()
    pin = page.locator("#pay-pin")
    expect(pin).to_be_visible()  # $150.00 is above NO_PIN_AMOUNT ($100.00)
    pin.fill(PIN)
    page.locator("#pay-confirm").get_by_role("button", name="Pay").click()
    expect(page.locator("#pay-receipt")).to_contain_text("BIG-1")
    assert api.wallet(alice)["balance"] == 5_000
    assert console.errors == []


def test_top_up_set_the_pin_and_decline_a_charge(phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice")
    sign_in_with_a_code(page, api, alice)

    top_up = page.locator("#topup")
    top_up.get_by_label("Amount").fill("20")
    top_up.get_by_role("button", name="Top up").click()
    expect(page.locator("#balances .balance")).to_have_text("$20.00")
    top_up.get_by_label("Amount").fill("5")
    top_up.get_by_label("Card").select_option("tok_chargeDeclined")
    top_up.get_by_role("button", name="Top up").click()
    expect(page.get_by_role("alert")).to_have_text("the card was declined")
    assert api.wallet(alice)["balance"] == 2000

    page.get_by_role("button", name="Settings").click()
    page.get_by_label("New PIN (six digits)").fill(PIN)
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_role("status")).to_have_text("Your PIN is set.")
    assert api.get("/api/v1/me", alice).json["pin_set"] is True

    api.topup(alice, 20_000)
    terminal = make_terminal(api)
    made = charge(terminal, phone_of(api, alice).code(), 15_000).json
    page.get_by_role("button", name="Home").click()
    page.locator("#pending li").get_by_role("button", name="Decline").click()
    expect(page.locator("#pending-box")).to_be_hidden()
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "declined"
    assert api.wallet(alice)["balance"] == 22_000
    assert [e for e in console.errors if "402" not in e] == []  # the declined card's answer


def test_the_payment_code_changes_each_period_and_sign_out_revokes_the_device(phone_page, api, console):
    page = phone_page
    page.clock.install()  # the page's clock, moved by the test: no waiting 30 s
    alice = api.person(name="Alice")
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="My code").click()
    digits = page.locator("#code-digits")
    expect(digits).to_have_attribute("data-code", EIGHTEEN_DIGITS)
    first = digits.get_attribute("data-code")
    page.clock.fast_forward(30_000)
    expect(digits).not_to_have_attribute("data-code", first)
    second = digits.get_attribute("data-code")
    assert second[:10] == first[:10] and second[10:] != first[10:]  # same prefix, handle and slot; new TOTP

    assert len(api.get("/api/v1/devices", alice).json["data"]) == 1
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert api.get("/api/v1/devices", alice).json["data"] == []  # the list leaves out revoked devices
    assert console.errors == []


def test_a_token_that_ran_out_anyway_is_refreshed_and_the_request_sent_again(app, phone_page, api, console):
    page = phone_page
    alice = api.person(name="Alice", balance=700)
    # Tokens that die after 1 s (no leeway), before the page's own timer (5 s at the earliest) refreshes.
    app.config.update(ACCESS_TOKEN_TTL=1, JWT_LEEWAY=0)
    try:
        sign_in_with_a_code(page, api, alice)
        page.wait_for_timeout(2_000)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/refresh")) as refreshed:
            page.get_by_role("button", name="History").click()
        assert refreshed.value.status == 200
        expect(page.locator("#history-list .row")).to_have_count(1)  # the retried request's answer
    finally:
        app.config.update(ACCESS_TOKEN_TTL=15 * 60, JWT_LEEWAY=5)
    expect(page.locator("#who")).to_have_text("Alice")  # still signed in
    assert [e for e in console.errors if "401" not in e] == []  # the expired token's refusal

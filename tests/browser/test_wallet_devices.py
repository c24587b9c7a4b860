"""Settings, Devices on the wallet page, in Chromium at 390 px: the person's devices listed, one
renamed and one removed, and removing this browser's own device stops its payment code (the
screen goes blank and a terminal is refused the code it showed) until it is registered again."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import sign_in_with_a_code
from tests.support.payment_codes import charge
from tests.support.terminals import make_terminal

expect = pytest.importorskip("playwright.sync_api").expect
EIGHTEEN_DIGITS = re.compile(r"^\d{18}$")


def names(api, person) -> list[str]:
    return sorted(d["name"] for d in api.get("/api/v1/devices", person).json["data"])


def test_devices_are_listed_renamed_and_removed_and_removing_this_one_stops_its_code(phone_page, api, console):
    page = phone_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove ...? Its payment codes stop working"
    alice = api.person(name="Alice", balance=1000)
    assert api.post("/api/v1/devices", alice, json={"name": "Old phone"}).status_code == 201
    terminal = make_terminal(api)
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="My code").click()  # the first visit registers this browser
    expect(page.locator("#code-digits")).to_have_attribute("data-code", EIGHTEEN_DIGITS)
    shown = page.locator("#code-digits").get_attribute("data-code")

    page.get_by_role("button", name="Settings").click()
    devices = page.locator("#devices li")
    expect(devices).to_have_count(2)
    expect(devices.filter(has_text="(this browser)")).to_have_count(1)
    expect(devices.filter(has_text="Old phone")).not_to_contain_text("(this browser)")
    expect(page.get_by_role("button", name="Register this browser")).to_be_hidden()

    page.get_by_label("New name for Old phone").fill("Lost phone")
    page.get_by_role("button", name="Rename Old phone").click()
    expect(devices.filter(has_text="Lost phone")).to_have_count(1)
    assert "Lost phone" in names(api, alice)
    page.get_by_role("button", name="Remove Lost phone").click()
    expect(devices).to_have_count(1)
    assert len(names(api, alice)) == 1 and "Lost phone" not in names(api, alice)

    this_one = devices.first.locator("strong").inner_text()
    page.get_by_role("button", name=f"Remove {this_one}").click()
    expect(page.get_by_role("status")).to_have_text("Removed: this browser shows no payment code now.")
    expect(devices).to_have_count(0)
    assert names(api, alice) == []
    refused = charge(terminal, shown, 200)
    assert refused.status_code >= 400, refused.json  # the code on screen a moment ago pays nothing
    page.get_by_role("button", name="My code").click()
    expect(page.get_by_role("alert")).to_contain_text("register it again under Settings, Devices")
    expect(page.locator("#code-digits")).to_be_empty()
    assert names(api, alice) == []  # the code tab did not quietly register a new device

    page.get_by_role("button", name="Settings").click()
    page.get_by_role("button", name="Register this browser").click()
    expect(devices).to_have_count(1)
    page.get_by_role("button", name="My code").click()
    expect(page.locator("#code-digits")).to_have_attribute("data-code", EIGHTEEN_DIGITS)
    paid = charge(terminal, page.locator("#code-digits").get_attribute("data-code"), 200)
    assert paid.status_code == 201 and paid.json["status"] == "succeeded", paid.json
    assert console.errors == []

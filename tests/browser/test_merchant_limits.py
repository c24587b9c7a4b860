"""The merchant's own limits on the dashboard, in Chromium at desktop width: the owner sets and
clears them (the API then holds them), a cashier sees them read-only and the API refuses the
cashier a change. Each test also fails on any console error or CSP refusal."""
from __future__ import annotations

import pytest

from tests.support.dashboard import DESKTOP, sign_in
from tests.support.qr import make_merchant

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def desk(browser, base_url, console):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    yield page
    context.close()


def test_the_owner_sets_the_limits_and_a_cashier_only_reads_them(app, api, desk, console):
    owner = api.person(name="Olga Owner")
    merchant = make_merchant(app, api, owner=owner, name="Café Limits")
    limits_url = f"/api/v1/merchants/{merchant['id']}/limits"
    cashier = api.person(name="Carl Cashier")
    added = api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner,
                     json={"identifier": cashier.identifier, "role": "cashier"})
    assert added.status_code == 201, added.json

    page = desk
    sign_in(page, owner)
    page.get_by_role("button", name="Limits").click()
    now = page.locator("#limits-now")
    expect(now).to_contain_text("Largest chargeno limit")
    form = page.locator("#limits-form")
    form.get_by_label("Largest charge (empty: no limit)").fill("25")
    form.get_by_label("Refunds per day (empty: no limit)").fill("40.50")
    form.get_by_role("button", name="Save the limits").click()
    expect(page.locator("#notice")).to_have_text("The limits are saved.")
    expect(now).to_contain_text("Largest charge$25.00")
    expect(now).to_contain_text("Refunds per day$40.50")
    expect(now).to_contain_text("Left today$40.50")
    held = api.get(limits_url, owner).json
    assert (held["max_charge"], held["daily_refunds"]) == (2_500, 4_050)

    # A bad amount is refused by the page; nothing changes.
    form.get_by_label("Largest charge (empty: no limit)").fill("12.345")
    form.get_by_role("button", name="Save the limits").click()
    expect(page.locator("#error")).to_contain_text("Largest charge: enter an amount in USD")
    assert api.get(limits_url, owner).json["max_charge"] == 2_500

    form.get_by_label("Largest charge (empty: no limit)").fill("")  # empty: the limit is removed
    form.get_by_role("button", name="Save the limits").click()
    expect(now).to_contain_text("Largest chargeno limit")
    held = api.get(limits_url, owner).json
    assert (held["max_charge"], held["daily_refunds"]) == (None, 4_050)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin")).to_be_visible()  # signed out before the next sign-in reloads the page

    sign_in(page, cashier)
    page.get_by_role("button", name="Limits").click()
    expect(now).to_contain_text("Refunds per day$40.50")
    expect(page.locator("#limits-read-only")).to_be_visible()
    expect(form).to_be_hidden()
    refused = api.client.put(limits_url, json={"max_charge": 1, "daily_refunds": None}, headers=cashier.auth)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "role_not_allowed")
    assert console.errors == []

"""The operator console at /admin in Chromium: each journey checks what the operator sees, then
what the API holds afterwards (and every test fails on a console error, CSP refusals included).
"""
from __future__ import annotations

import pytest

from tests.support.browser import PHONE
from tests.support.operators import audit_records, make_operator

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk(browser, base_url, console):
    """A fresh desktop context per call: two operators sign in side by side."""
    contexts = []

    def page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=base_url)
        contexts.append(context)
        opened = context.new_page()
        opened.set_default_timeout(10_000)
        console.watch(opened)
        return opened
    yield page
    for context in contexts:
        context.close()


def sign_in(page, person):
    page.goto("/admin")
    form = page.locator("#password-login")
    form.get_by_label("Phone or e-mail").fill(person.identifier)
    form.get_by_label("Password").fill(person.password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text(person.name)


def find(page, q, name):
    page.get_by_label("Phone, e-mail, wallet id or name").fill(q)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#user-name")).to_have_text(name)


def test_an_admin_finds_a_user_and_changes_their_tier(app, api, desk, console):
    admin = make_operator(app, api, "admin", name="Ada Admin")
    alice = api.person(name="Alice Console", balance=12_345)
    page = desk()

    sign_in(page, admin)
    expect(page.locator("#role")).to_contain_text("admin")
    find(page, alice.phone, "Alice Console")
    expect(page.locator("#wallet-table tbody tr")).to_contain_text("$123.45")
    expect(page.locator("#limits-tier")).to_have_text("basic")
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    expect(page.locator("#user-verify")).to_have_text("Ledger check: OK (1 entry, hash chains and balances recomputed)")
    expect(page.locator("#propose")).to_be_hidden()  # admin is not finance: no adjustments offered

    page.get_by_label("Move to tier").select_option("verified")
    page.locator("#tier-form").get_by_label("Reason").fill("passport checked, case 77")
    page.get_by_role("button", name="Change the tier").click()
    expect(page.locator("#notice")).to_have_text("Alice Console is now in the tier verified.")
    expect(page.locator("#limits-tier")).to_have_text("verified")

    limits = api.get("/api/v1/me/limits", alice).json
    assert limits["tier"]["name"] == "verified"
    [record] = audit_records(app, action="user.tier")
    assert (record["actor_id"], record["object_id"], record["after"]) == (admin.id, alice.id, {"tier": "verified"})
    assert console.errors == []


def test_one_finance_operator_proposes_a_second_approves_and_the_audit_trail_shows_both(app, api, desk, console):
    admin = make_operator(app, api, "admin")
    fiona = make_operator(app, api, "finance", admin=admin, name="Fiona Finance")
    frank = make_operator(app, api, "finance", admin=admin, name="Frank Finance")
    bob = api.person(name="Bob Refund", balance=1_000)

    first = desk()
    sign_in(first, fiona)
    find(first, bob.wallet_id, "Bob Refund")
    form = first.locator("#propose-form")
    form.get_by_label("Direction").select_option("credit")
    form.get_by_label("Amount").fill("7.50")
    form.get_by_label("Reason").fill("double charge at the canteen")
    form.get_by_label("Reference (ticket or case)").fill("CASE-4242")
    form.get_by_role("button", name="Propose").click()
    expect(first.locator("#notice")).to_contain_text("waiting for a second operator")
    first.get_by_role("button", name="Adjustments").click()
    row = first.locator("#adjustment-table tbody tr", has_text="CASE-4242")
    expect(row).to_contain_text("yours: another operator decides")
    expect(row.get_by_role("button", name="Approve CASE-4242")).to_have_count(0)  # not offered to the proposer
    assert api.wallet(bob)["balance"] == 1_000  # nothing moved yet

    second = desk(PHONE)  # the second operator works from a phone
    sign_in(second, frank)
    second.get_by_role("button", name="Adjustments").click()
    second.get_by_role("button", name="Approve CASE-4242").click()
    expect(second.locator("#notice")).to_have_text("CASE-4242: approved.")
    assert api.wallet(bob)["balance"] == 1_750
    assert second.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways page

    second.get_by_role("button", name="Audit trail").click()
    trail = second.locator("#audit-table tbody tr")
    expect(trail.filter(has_text="adjustment.approve")).to_contain_text("Frank Finance")
    expect(trail.filter(has_text="adjustment.propose")).to_contain_text("Fiona Finance")
    second.get_by_label("Who").select_option(label="Fiona Finance")
    second.locator("#audit-filters").get_by_role("button", name="Show").click()
    expect(trail).to_have_count(1)
    expect(trail.first).to_contain_text("adjustment.propose")
    [approved] = api.get("/api/v1/admin/adjustments?status=approved", frank).json["data"]
    assert (approved["proposed_by"], approved["decided_by"]) == (fiona.id, frank.id)
    assert console.errors == []


def test_a_support_operator_is_not_offered_adjustments_or_tier_changes(app, api, desk, console):
    admin = make_operator(app, api, "admin")
    finance = make_operator(app, api, "finance", admin=admin)
    sam = make_operator(app, api, "support", admin=admin, name="Sam Support")
    carol = api.person(name="Carol Quiet", balance=500)
    proposed = api.post("/api/v1/admin/adjustments", finance, json={
        "wallet_id": carol.wallet_id, "direction": "credit", "amount": 100, "currency": "USD",
        "reason": "goodwill", "reference": "CASE-9"})
    assert proposed.status_code == 201

    page = desk()
    sign_in(page, sam)
    find(page, "Carol Quiet", "Carol Quiet")
    expect(page.locator("#user-verify")).to_contain_text("Ledger check: OK")
    expect(page.locator("#propose")).to_be_hidden()
    expect(page.locator("#tier-form")).to_be_hidden()
    page.get_by_role("button", name="Adjustments").click()
    row = page.locator("#adjustment-table tbody tr", has_text="CASE-9")
    expect(row).to_contain_text("pending")
    expect(row.get_by_role("button")).to_have_count(0)
    # the API agrees with what the page does not offer
    assert api.post(f"/api/v1/admin/adjustments/{proposed.json['id']}/approve", sam,
                    json={}).json["error"]["code"] == "role_not_allowed"
    assert console.errors == []


def test_a_user_without_an_operator_role_is_told_so(app, api, desk, console):
    mallory = api.person(name="Mallory", email="mallory@example.com", phone=None)
    page = desk()
    page.goto("/admin")
    form = page.locator("#password-login")
    form.get_by_label("Phone or e-mail").fill(mallory.identifier)
    form.get_by_label("Password").fill(mallory.password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#not-operator")).to_be_visible()
    expect(page.locator("#tabs")).to_be_hidden()
    # the 403 is expected here; the browser logs a failed fetch as a console error
    assert [e for e in console.errors if "403" not in e] == []


def test_a_support_operator_freezes_a_wallet_then_lifts_it_and_the_trail_shows_both(app, api, desk, console):
    admin = make_operator(app, api, "admin")
    sam = make_operator(app, api, "support", admin=admin, name="Sam Support")
    dora = api.person(name="Dora Lost", balance=2_000)
    eve = api.person(name="Eve Payee")

    page = desk()
    sign_in(page, sam)
    find(page, dora.phone, "Dora Lost")
    expect(page.locator("#freeze-none")).to_be_visible()
    form = page.locator("#freeze-form")
    form.get_by_label("What").select_option(dora.wallet_id)
    form.get_by_label("Scope").select_option("debits")
    form.get_by_label("Reason").fill("phone reported stolen, case 12")
    form.get_by_role("button", name="Freeze").click()
    expect(page.locator("#notice")).to_have_text("Frozen.")
    listed = page.locator("#freeze-list li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(f"wallet {dora.wallet_id}, no money out: phone reported stolen, case 12")
    expect(listed).to_contain_text("set by an operator")
    expect(page.locator("#freeze-none")).to_be_hidden()

    refused = api.transfer(dora, eve.phone, 100)  # the API agrees: the wallet cannot pay
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "wallet_frozen")
    assert api.wallet(dora)["frozen"] == {"scope": "debits", "ends_at": None}

    listed.get_by_label(f"Why lift the freeze of wallet {dora.wallet_id}").fill("phone found at home")
    listed.get_by_role("button", name="Lift").click()
    expect(page.locator("#notice")).to_have_text("The freeze is lifted.")
    expect(listed).to_have_count(0)
    expect(page.locator("#freeze-none")).to_be_visible()
    assert api.transfer(dora, eve.phone, 100).status_code == 201
    [lifted] = api.get(f"/api/v1/admin/freezes?user_id={dora.id}", sam).json["data"]
    assert lifted["lift_reason"] == "phone found at home" and lifted["lifted_at"]

    page.get_by_role("button", name="Audit trail", exact=True).click()
    trail = page.locator("#audit-table tbody tr")
    expect(trail.filter(has_text="freeze.set")).to_contain_text("Sam Support")
    expect(trail.filter(has_text="freeze.lift")).to_contain_text("Sam Support")
    assert console.errors == []


def test_on_demo_data_the_console_lists_the_demo_operators_and_fills_the_form(app, desk, console, monkeypatch):
    from app.cli_seed import DEMO_PASSWORD, seed_demo_data
    with app.app_context():
        seed_demo_data()
    monkeypatch.setitem(app.config, "DEMO_SIGNINS", True)  # what bin/run sets after seeding
    page = desk()
    page.goto("/admin")
    demo = page.get_by_role("list", name="Demo operators")
    expect(demo.get_by_role("button")).to_have_text(["Sam Support", "Fiona Finance", "Frank Finance", "Ada Admin"])
    expect(demo).to_contain_text("finance2@demo.test, finance")

    demo.get_by_role("button", name="Fiona Finance").click()
    expect(page.locator("#pw-identifier")).to_have_value("finance@demo.test")
    expect(page.locator("#pw-password")).to_have_value(DEMO_PASSWORD)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()

    expect(page.locator("#who")).to_have_text("Fiona Finance")
    expect(page.locator("#role")).to_contain_text("finance")
    assert console.errors == []

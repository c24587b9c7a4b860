"""Staff on the merchant dashboard, in Chromium at desktop width: the owner lists the staff,
adds people, changes a role and removes someone (the API's list checked after each); a manager is
offered only cashiers to add and remove and no role changes; a cashier has no Staff tab. Each test
fails on a console error or CSP refusal."""
from __future__ import annotations

import pytest

from tests.support.qr import make_merchant

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk_page(browser, base_url, console):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove ... from the staff?"
    yield page
    context.close()


def sign_in(page, person):
    page.goto("/merchant")
    page.get_by_text("Sign in with a password").click()
    page.locator("#password-login").get_by_label("Phone or e-mail").fill(person.identifier)
    page.locator("#password-login").get_by_label("Password").fill(person.password)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()
    expect(page.locator("#sales-end")).not_to_be_empty()


def roles(api, owner, merchant) -> dict[str, str]:
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/staff", owner).json["data"]
    return {member["name"]: member["role"] for member in listed}


def add(page, person, role: str) -> None:
    page.get_by_label("Phone or e-mail of a verified user").fill(person.identifier)
    page.get_by_label("Role", exact=True).select_option(role)
    page.get_by_role("button", name="Add to the staff").click()


def test_the_owner_adds_staff_changes_a_role_and_removes_someone(app, desk_page, api, console):
    page = desk_page
    owner = api.person(name="Olga Owner")
    merchant = make_merchant(app, api, owner=owner, name="Café Staff")
    mia, carl = api.person(name="Mia Manager"), api.person(name="Carl Cashier")
    sign_in(page, owner)
    page.locator("#tabs").get_by_role("button", name="Staff").click()
    rows = page.locator("#staff-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Olga Owner (you)")
    expect(rows.first.get_by_role("button")).to_have_count(0)  # no lock-out from one's own row
    expect(page.get_by_label("Role", exact=True).locator("option")).to_have_text(["owner", "manager", "cashier"])

    add(page, mia, "manager")
    expect(page.get_by_role("status")).to_have_text("Mia Manager was added as a manager.")
    add(page, carl, "cashier")
    expect(rows).to_have_count(3)
    assert roles(api, owner, merchant) == {"Olga Owner": "owner", "Mia Manager": "manager", "Carl Cashier": "cashier"}

    page.get_by_label("Role of Carl Cashier").select_option("manager")
    page.get_by_role("button", name="Change role Carl Cashier").click()
    expect(page.get_by_role("status")).to_have_text("Carl Cashier is now a manager.")
    assert roles(api, owner, merchant)["Carl Cashier"] == "manager"
    page.get_by_role("button", name="Remove Carl Cashier").click()
    expect(rows).to_have_count(2)
    assert roles(api, owner, merchant) == {"Olga Owner": "owner", "Mia Manager": "manager"}

    add(page, api.person(name="Nobody Unverified", verified=False), "cashier")  # the API's own message
    expect(page.get_by_role("alert")).to_contain_text("existing, verified user")
    expect(rows).to_have_count(2)
    # The 422 is the one console error: Chromium logs every failed request.
    assert [e for e in console.errors if "422" not in e] == []


def test_a_manager_is_offered_cashiers_only_and_a_cashier_no_staff_tab(app, desk_page, api, console):
    page = desk_page
    owner = api.person(name="Olga Owner")
    merchant = make_merchant(app, api, owner=owner, name="Café Staff")
    mia, carl, cleo = api.person(name="Mia Manager"), api.person(name="Carl Cashier"), api.person(name="Cleo Cashier")
    staff = f"/api/v1/merchants/{merchant['id']}/staff"
    for person, role in ((mia, "manager"), (carl, "cashier")):
        assert api.post(staff, owner, json={"identifier": person.identifier, "role": role}).status_code == 201

    sign_in(page, mia)
    page.locator("#tabs").get_by_role("button", name="Staff").click()
    rows = page.locator("#staff-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_label("Role", exact=True).locator("option")).to_have_text(["cashier"])
    expect(page.get_by_role("button", name="Change role Carl Cashier")).to_have_count(0)
    expect(page.get_by_label("Role of Carl Cashier")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove Olga Owner")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove Carl Cashier")).to_have_count(1)

    add(page, cleo, "cashier")
    expect(rows).to_have_count(4)
    page.get_by_role("button", name="Remove Carl Cashier").click()
    expect(rows).to_have_count(3)
    assert roles(api, owner, merchant) == {"Olga Owner": "owner", "Mia Manager": "manager", "Cleo Cashier": "cashier"}
    assert api.client.patch(f"{staff}/{api.get(staff, owner).json['data'][-1]['id']}", headers=mia.auth,
                            json={"role": "manager"}).json["error"]["code"] == "role_not_allowed"

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin")).to_be_visible()  # signed out before the next person signs in
    sign_in(page, cleo)
    expect(page.locator("#tabs").get_by_role("button", name="Staff")).to_be_hidden()
    assert console.errors == []

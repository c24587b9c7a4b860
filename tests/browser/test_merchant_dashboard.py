"""The merchant dashboard at /merchant in Chromium at desktop width: each journey checks what the
person sees, then what the API holds afterwards (and every test fails on a console error, CSP
refusals included)."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest

from tests.support.payment_codes import charged, phone_of
from tests.support.qr import make_merchant
from tests.support.terminals import TerminalClient, make_terminal
from tests.support.webhooks import Receiver, deliver, deliveries

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk_page(browser, base_url, console):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    yield page
    context.close()


def sign_in(page, person):
    """The password flow the wallet uses, on /merchant; waits for the sales list to load."""
    page.goto("/merchant")
    page.get_by_text("Sign in with a password").click()
    page.locator("#password-login").get_by_label("Phone or e-mail").fill(person.identifier)
    page.locator("#password-login").get_by_label("Password").fill(person.password)
    page.locator("#password-login").get_by_role("button", name="Sign in").click()
    expect(page.locator("#sales-end")).not_to_be_empty()


@pytest.fixture
def shop(app, api):
    owner = api.person(name="Olga Owner")
    merchant = make_merchant(app, api, owner=owner, name="Café Dash")
    return owner, merchant


def test_the_owner_sees_a_sale_made_through_the_api_and_downloads_the_csv(desk_page, api, shop, console):
    page = desk_page
    owner, merchant = shop
    terminal = make_terminal(api, owner=owner, merchant=merchant, label="Till 7")
    alice = api.person(name="Alice Payer", balance=5_000)
    sale = charged(terminal, phone_of(api, alice), 1_250, reference="LATTE-1")

    sign_in(page, owner)
    expect(page.locator("#role")).to_have_text("You are an owner of Café Dash (USD).")
    rows = page.locator("#sales-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("$12.50")
    expect(rows.first).to_contain_text("LATTE-1")
    page.get_by_label("Search").fill("no such thing")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#sales-end")).to_have_text("No sales yet.")  # the API's q filter answered nothing
    page.get_by_label("Search").fill("LATTE")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(rows).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(lines) == 1 and lines[0]["amount"] == "1250" and lines[0]["reference"] == "LATTE-1"
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/transactions", owner).json["data"]
    assert [t["amount"] for t in listed] == [1_250] and sale["status"] == "succeeded"
    assert console.errors == []


def test_the_owner_registers_a_terminal_and_rotates_its_secret(desk_page, api, shop, console):
    page = desk_page
    owner, merchant = shop
    sign_in(page, owner)
    page.get_by_role("button", name="Terminals").click()
    page.get_by_label("Label").fill("Front till")
    page.get_by_role("button", name="Register").click()
    row = page.locator("#terminal-table tbody tr", has_text="Front till")
    expect(row).to_contain_text("active")
    first = page.locator("#terminal-secret code").inner_text()
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/terminals", owner).json["data"]
    assert [t["label"] for t in listed] == ["Front till"]
    terminal_id = listed[0]["id"]
    signed = TerminalClient(api.client, terminal_id, first, merchant["id"])
    assert signed.get("/api/v1/pos/config").status_code == 200  # the secret shown is the real one

    row.get_by_role("button", name="Rotate secret").click()
    expect(page.locator("#terminal-secret")).to_contain_text("New secret of Front till")
    second = page.locator("#terminal-secret code").inner_text()
    assert second != first
    assert signed.get("/api/v1/pos/config").status_code == 401  # the old one no longer signs
    assert TerminalClient(api.client, terminal_id, second, merchant["id"]).get("/api/v1/pos/config").status_code == 200

    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("disabled")
    assert api.get(f"/api/v1/merchants/{merchant['id']}/terminals", owner).json["data"][0]["status"] == "disabled"
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("active")
    assert [e for e in console.errors if "401" not in e] == []


def test_the_owner_creates_an_api_key_and_revokes_it(desk_page, api, shop, console):
    page = desk_page
    owner, _ = shop
    sign_in(page, owner)
    page.get_by_role("button", name="API keys").click()
    page.get_by_label("Key name").fill("web shop")
    page.get_by_role("button", name="Create a key").click()
    key = page.locator("#key-shown code").inner_text()
    assert key.startswith("mk_")
    server = {"Authorization": f"Bearer {key}"}
    assert api.client.get("/api/v1/merchant/orders", headers=server).status_code == 200

    row = page.locator("#key-table tbody tr", has_text="web shop")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")
    assert api.client.get("/api/v1/merchant/orders", headers=server).status_code == 401

    page.get_by_role("button", name="Sign out").click()  # the key shown once leaves the page with the person
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert key not in page.content()
    assert console.errors == []


def test_the_owner_adds_a_webhook_endpoint_and_retries_a_failed_delivery(app, desk_page, api, shop, console):
    page = desk_page
    owner, merchant = shop
    with Receiver(answers=[500]) as receiver:  # the first delivery fails, the retry succeeds
        sign_in(page, owner)
        page.get_by_role("button", name="Webhooks").click()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("payment.succeeded").check()
        page.get_by_role("button", name="Add the endpoint").click()
        row = page.locator("#webhook-table tbody tr", has_text=receiver.url)
        expect(row).to_contain_text("active")
        receiver.secret = page.locator("#webhook-secret code").inner_text()
        row.get_by_role("button", name="Send a test event").click()
        log = page.locator("#delivery-table tbody tr")
        expect(log).to_have_count(1)
        expect(log.first).to_contain_text("webhook.test")

        deliver(app)
        receiver.wait_for(1)
        page.get_by_role("button", name="Reload the log").click()
        expect(log.first).to_contain_text("HTTP 500")
        log.first.get_by_role("button", name="Retry").click()
        expect(page.get_by_role("status").first).to_have_text("The delivery is due again now.")
        deliver(app)
        receiver.wait_for(2)
        assert receiver.verified()[1]["type"] == "webhook.test"  # signed with the secret the page showed
    [delivery] = deliveries(api, owner, merchant["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2
    page.get_by_role("button", name="Reload the log").click()
    expect(log.first).to_contain_text("succeeded")
    expect(log.first.get_by_role("button", name="Retry")).to_have_count(0)
    assert console.errors == []


def test_a_cashier_sees_sales_and_qr_codes_only_and_the_api_refuses_the_rest(app, desk_page, api, shop, console):
    page = desk_page
    owner, merchant = shop
    cashier = api.person(name="Carl Cashier")
    added = api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner,
                     json={"identifier": cashier.identifier, "role": "cashier"})
    assert added.status_code == 201, added.json

    sign_in(page, cashier)
    expect(page.locator("#role")).to_have_text("You are a cashier of Café Dash (USD).")
    tabs = page.locator("#tabs")
    for offered in ("Sales", "QR codes", "Settlements", "Statements"):
        expect(tabs.get_by_role("button", name=offered)).to_be_visible()
    for refused in ("Terminals", "API keys", "Webhooks"):
        expect(tabs.get_by_role("button", name=refused)).to_be_hidden()

    tabs.get_by_role("button", name="QR codes").click()
    page.get_by_label("Amount").fill("4.20")
    page.get_by_role("button", name="Make the code").click()
    expect(page.locator("#qr-caption")).to_contain_text("$4.20")
    payload = page.locator("#qr-canvas").get_attribute("data-payload")
    decoded = api.post("/api/v1/qr/decode", cashier, json={"payload": payload})
    assert decoded.status_code == 200 and decoded.json["amount"] == 420

    base = f"/api/v1/merchants/{merchant['id']}"
    for refused in (api.post(f"{base}/terminals", cashier, json={"kind": "pos", "label": "Mine"}),
                    api.get(f"{base}/api-keys", cashier), api.get(f"{base}/webhooks", cashier)):
        assert refused.status_code == 403 and refused.json["error"]["code"] == "role_not_allowed"
    assert console.errors == []


def test_the_orders_page_on_the_cursor_and_filter_on_status(app, desk_page, api, console):
    from tests.support.merchant_server import make_order, make_server
    from tests.support.qr import pay
    page = desk_page
    owner, merchant, server = make_server(app, api, name="Café Orders")
    made = [make_order(server, amount=100 + n, reference=f"WEB-{n:02}") for n in range(26)]  # a page is 25
    assert pay(api, api.person(name="Payer", balance=5_000), made[0]["payload"]).status_code == 201

    sign_in(page, owner)
    page.get_by_role("button", name="Orders").click()
    rows = page.locator("#orders-table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("WEB-25")  # newest first, as the API lists them
    page.get_by_role("button", name="Show more orders").click()
    expect(rows).to_have_count(26)
    expect(page.locator("#orders-end")).to_have_text("That is all.")
    expect(rows.last).to_contain_text("$1.00")

    page.get_by_label("Order status").select_option("paid")
    page.locator("#orders-filters").get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("WEB-00")
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/orders?status=paid", owner).json["data"]
    assert [o["reference"] for o in listed] == ["WEB-00"]
    assert console.errors == []


def test_the_demo_cafes_owner_uses_it_on_a_phone(app, phone_page, console):
    from app.cli_seed import DEMO_PASSWORD, seed_demo_data
    with app.app_context():
        seed_demo_data()  # what `flask seed-demo` (bin/run) makes: Carol owns the Demo Café
    page = phone_page
    sign_in(page, SimpleNamespace(identifier="carol@demo.test", password=DEMO_PASSWORD))
    expect(page.locator("#role")).to_contain_text("an owner of Demo Café")
    # by keyboard alone: Tab from the merchant picker to the Terminals tab, Enter opens it
    page.get_by_role("combobox", name="Merchant").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Terminals":
            break
    page.keyboard.press("Enter")
    # seed-demo gives the café a till and a vending machine
    expect(page.locator("#terminal-table tbody tr")).to_have_count(2)
    expect(page.locator("#terminal-table tbody")).to_contain_text("Counter 1")
    expect(page.locator("#terminal-table tbody")).to_contain_text("Vending 1")
    # at 390 px the tables scroll inside their box; the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console.errors == []

"""The terminal simulator at /terminal in Chromium: a till and a vending machine that sign their
requests with WebCrypto, and the offline switch (case 1). Each journey checks what the cashier
sees and what the API then holds; the phone's side is played through the API."""
from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.support.browser import read_qr
from tests.support.payment_codes import PIN, phone_of, set_pin
from tests.support.qr import merchant_balance
from tests.support.qr import pay as pay_qr
from tests.support.terminals import make_terminal

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1000, "height": 1000}


@pytest.fixture
def till_page(browser, base_url, console):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    yield page
    context.close()


def connect(page, terminal):
    page.goto("/terminal")
    page.get_by_label("Terminal id").fill(terminal.terminal_id)
    page.get_by_label("Terminal secret").fill(terminal.secret)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#who")).to_contain_text("USD")


def balance(api, person) -> int:
    return api.wallet(person)["balance"]


def test_signing_and_offline_codes_match_the_readmes_worked_examples(till_page, console):
    page = till_page
    page.goto("/terminal")
    results = page.evaluate("""async () => {
        const {hmacKey, signature} = await import("/static/terminal/js/sign.js");
        const {deriveKeys, makeCode, expectedConfirmation, ConfirmationCheck} = await import("/static/terminal/js/offline.js");
        const key = await hmacKey("tsk_example-secret-do-not-use"), ts = "1795700000", nonce = "5f2b8c1e9d7a4f60b3c2";
        const body = '{"amount":450,"currency":"USD","reference":"T12-0042"}';
        const signatures = [
            await signature(key, "POST", "/api/v1/pos/payment-requests", ts, nonce, body),
            await signature(key, "GET", "/api/v1/pos/payment-requests/qr_abc?wait=10", ts, nonce),
            await signature(key, "GET", "/api/v1/pos/charges/chg%5Fabc", ts, nonce)];
        const keys = await deriveKeys("tsk_example-secret-do-not-use");
        const profile = {terminal_id: "ter_exampleterminal000000000", merchant_id: "mer_examplemerchant000000000",
            label: "Till 1", guid: "app.wallet.pay", merchant_name: "Cafe Zurich", merchant_city: "Zurich",
            country: "CH", mcc: "5814", currency: "USD", currency_numeric: "840", exponent: 2};
        const code = await makeCode(keys, profile, {seq: 42, nonce: "5f2b8c1e9d7a4f60", issuedAt: 1795700000,
            amount: 450, reference: "T12-0042"});
        const expected = await expectedConfirmation(keys, profile.terminal_id, code);
        const check = new ConfirmationCheck(expected, profile.terminal_id, code);
        const tries = [];
        for (let i = 0; i < 5; i += 1) tries.push(check.check("0000000000").ok);
        tries.push(check.check(expected).ok, check.void);  // five wrong: even the right one is refused now
        const scanned = new ConfirmationCheck(expected, profile.terminal_id, code)
            .check(`WCF1:${profile.terminal_id}:42:${expected}:txn_1`);
        return {signatures, payload: code.payload, expected, tries, scanned};
    }""")
    assert results["signatures"] == ["c9d43a14d45d5d49823bdc3db1e17f0eb3a1c5d6892068ad9479ea809db1dbf6",
                                     "6cc0635e284ec931c3164105baa0e8046911699a645091295e9a4ae66c45d845",
                                     "6086e05f619477a87a5f6121923b7e18514dbc3685db013ac5ad113d93766473"]
    assert results["payload"] == (
        "00020101021226820014app.wallet.pay0128mer_examplemerchant0000000000328ter_exampleterminal000000000"
        "52045814530384054044.505802CH5911Cafe Zurich6006Zurich62220508T12-00420706Till 1"
        "80780014app.wallet.pay01024202165f2b8c1e9d7a4f60031017957000000416c66f3674c2d1ab3263041E26")
    assert results["expected"] == "6742850376"
    assert results["tries"] == [False] * 6 + [True]
    assert results["scanned"] == {"ok": True, "paymentId": "txn_1"}
    assert console.errors == []


def test_the_till_shows_a_code_a_phone_pays_it_and_the_till_shows_paid_within_a_second(app, till_page, api, console):
    page = till_page
    terminal = make_terminal(api)
    alice = api.person(name="Alice", balance=5_000)
    connect(page, terminal)
    page.get_by_label("Amount", exact=True).fill("9.99")
    page.get_by_role("button", name="Show QR code").click()
    expect(page.locator("#request-status")).to_have_text("Waiting for the customer to pay…")
    with page.expect_response(lambda response: response.url.endswith("/cancel")) as canceled:
        page.get_by_role("button", name="Cancel").click()
    assert canceled.value.json()["status"] == "canceled"
    expect(page.locator("#request-box")).to_be_hidden()

    page.get_by_label("Amount", exact=True).fill("4.50")
    page.get_by_role("button", name="Show QR code").click()
    status = page.locator("#request-status")
    expect(status).to_have_text("Waiting for the customer to pay…")
    payload = read_qr(page.locator("#request-qr").screenshot())  # what a phone's camera would read

    paid = pay_qr(api, alice, payload, key=str(uuid.uuid4()))
    assert paid.status_code == 201, paid.json
    started = time.monotonic()
    expect(status).to_have_text("Paid", timeout=1_000)
    assert time.monotonic() - started < 1.0
    assert balance(api, alice) == 4_550 and merchant_balance(app, terminal.merchant_id) == 450

    # the secret lives in this tab only: a reload keeps the till connected, and nothing is on disk
    page.reload()
    expect(page.locator("#who")).to_contain_text("Till 1")
    stored = page.evaluate("() => [JSON.stringify(localStorage), JSON.stringify(sessionStorage)]")
    assert terminal.secret not in stored[0] and terminal.secret in stored[1]
    assert console.errors == []


def test_a_charge_waits_for_the_customers_confirmation_then_is_refunded_and_the_batch_closed(app, till_page, api, console):
    page = till_page
    terminal = make_terminal(api)
    alice = api.person(name="Alice Dupont", balance=20_000)
    set_pin(api, alice)
    connect(page, terminal)

    page.get_by_label("Customer's payment code").first.fill(phone_of(api, alice).code())
    page.get_by_label("Charge amount").fill("150.00")  # above NO_PIN_AMOUNT (100.00)
    page.get_by_role("button", name="Charge").click()
    status = page.locator("#charge-status")
    expect(status).to_have_text("Waiting for Alice D. to confirm $150.00 in their app…")
    assert balance(api, alice) == 20_000  # nothing moved while it waits

    [pending] = api.get("/api/v1/payments/pending", alice).json["data"]
    confirmed = api.post(f"/api/v1/payments/{pending['id']}/confirm", alice, json={"pin": PIN})
    assert confirmed.status_code == 200, confirmed.json
    expect(status).to_contain_text("Paid: $150.00 by Alice D.")
    assert balance(api, alice) == 5_000

    expect(page.get_by_label("Charge id")).to_have_value(pending["id"])
    page.get_by_label("Refund amount").fill("20")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.locator("#refund-status")).to_have_text("Refunded $20.00; $130.00 left to refund.")
    assert balance(api, alice) == 7_000
    assert terminal.get(f"/api/v1/pos/charges/{pending['id']}").json["refunded_amount"] == 2_000

    page.get_by_role("button", name="Close the batch").click()
    expect(page.locator("#batch")).to_contain_text("Gross (USD)$130.00Fees (USD)$0.00Net (USD)$130.00")
    assert terminal.post("/api/v1/pos/batches/close").json["count"] == 0  # the page's close took them
    assert console.errors == []


def test_the_vending_machine_captures_less_than_it_held(app, till_page, api, console):
    page = till_page
    terminal = make_terminal(api, kind="vending", label="Snacks 1")
    bob = api.person(name="Bob", balance=1_000)
    connect(page, terminal)

    page.get_by_label("Customer's payment code").last.fill("990000000000000000")  # no such device
    page.get_by_role("button", name="Authorize $4.50").click()
    expect(page.locator("#vend-status")).to_have_text(re.compile(r"^Refused: "))
    page.get_by_label("Customer's payment code").last.fill(phone_of(api, bob).code())
    page.get_by_role("button", name="Authorize $4.50").click()
    status = page.locator("#vend-status")
    expect(status).to_have_text("Held $4.50: choose a product.")
    assert api.wallet(bob)["available"] == 550  # the hold is out of what he can spend

    page.get_by_label("Coffee — $1.50").check()
    page.get_by_role("button", name="Vend", exact=True).click()
    expect(status).to_have_text("Vended Coffee: charged $1.50, released $3.00.")
    assert api.wallet(bob)["available"] == 850 and balance(api, bob) == 850 and merchant_balance(app, terminal.merchant_id) == 150
    # the refusal's 402 is the one console error: Chromium logs every failed request
    assert [e for e in console.errors if "402" not in e] == []


def test_the_till_sells_offline_and_uploads_when_it_comes_back_after_a_restart(app, till_page, api, console):
    page = till_page
    terminal = make_terminal(api)
    carol = api.person(name="Carol", balance=5_000)
    connect(page, terminal)
    sent = []
    page.on("request", lambda request: "/api/v1/pos/" in request.url and sent.append(request.url))

    page.get_by_label("Offline (no uplink)").check()
    expect(page.locator("#notice")).to_contain_text("Offline")
    sent.clear()  # the /config read just before the uplink goes
    page.get_by_label("Amount", exact=True).fill("50.01")  # above OFFLINE_MAX_SALE
    page.get_by_role("button", name="Show QR code").click()
    expect(page.get_by_role("alert")).to_have_text("Offline, a sale may be at most $50.00.")
    page.get_by_label("Amount", exact=True).fill("3.20")
    page.get_by_role("button", name="Show QR code").click()
    status = page.locator("#request-status")
    expect(status).to_contain_text("Offline code")
    payload = read_qr(page.locator("#request-qr").screenshot())

    paid = pay_qr(api, carol, payload, key=str(uuid.uuid4()))  # the phone is online (case 1)
    assert paid.status_code == 201, paid.json
    confirmation = paid.json["offline"]["confirmation_code"]

    page.get_by_label("Customer's confirmation").fill("0000000000")
    page.get_by_role("button", name="Check confirmation").click()
    expect(status).to_have_text("Wrong confirmation: 4 tries left.")
    page.get_by_label("Customer's confirmation").fill(confirmation)
    page.get_by_role("button", name="Check confirmation").click()
    expect(status).to_have_text("Paid (offline): the sale is queued for upload.")
    expect(page.locator("#queue-count")).to_have_text("1 offline sale waiting to upload.")
    assert sent == []  # nothing left the till while it was offline
    assert len(terminal.get("/api/v1/pos/offline/unreported").json["issued_not_reported"]) == 1

    # the queue outlives the tab: reloaded (online again), the till uploads what it kept
    page.reload()
    expect(page.get_by_role("list", name="Upload answers")).to_have_text("Sale 1: posted")
    expect(page.locator("#queue-count")).to_have_text("0 offline sales waiting to upload.")
    assert terminal.get("/api/v1/pos/offline/unreported").json["issued_not_reported"] == []
    assert balance(api, carol) == 4_680 and merchant_balance(app, terminal.merchant_id) == 320
    assert console.errors == []


def test_the_vending_machine_voids_its_hold_using_the_keyboard_alone(till_page, api, console):
    page = till_page
    terminal = make_terminal(api, kind="vending", label="Snacks 1")
    bob = api.person(name="Bob", balance=1_000)
    connect(page, terminal)

    page.get_by_label("Customer's payment code").last.fill(phone_of(api, bob).code())
    page.keyboard.press("Enter")
    status = page.locator("#vend-status")
    expect(status).to_have_text("Held $4.50: choose a product.")
    expect(page.get_by_label("Water — $1.00")).to_be_focused()  # focus moves to the choice
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Cancel and release the hold")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Canceled: the hold of $4.50 is released.")
    assert api.wallet(bob)["available"] == 1_000 and balance(api, bob) == 1_000
    assert console.errors == []

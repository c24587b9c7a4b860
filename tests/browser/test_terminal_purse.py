"""Case 3 in the pages, both offline: the till (desktop context) shows its offline code, the
wallet page (a phone context in the same browser) pays it from its offline purse with a token
signed in that page while the phone has no network either, the till checks it with WebCrypto Ed25519 as terminal/purse.py does, queues
it with no request leaving the page, refuses a tampered token, one for another request and a
reused counter with purse.py's reasons, and on reconnect uploads and shows each record's answer."""
from __future__ import annotations

import json
import re

import pytest

from tests.support.browser import PHONE, sign_in_with_a_code
from tests.support.purse import Phone, purses_path
from tests.support.qr import merchant_balance
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


def offline_sale(page, amount: str) -> tuple[str, str]:
    """Starts an offline sale; its code's text and nonce (read by the wallet's own EMV reader)."""
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_role("button", name="Show QR code").click()
    expect(page.locator("#request-status")).to_contain_text("Offline code")
    payload = page.locator("#request-payload").text_content()
    nonce = page.evaluate("async (p) => (await import('/static/wallet/js/purse.js')).readRequest(p).nonce", payload)
    return payload, nonce


def hand_over(page, token_text: str) -> None:
    page.get_by_label("Or the customer's offline purse payment").fill(token_text)
    page.get_by_role("button", name="Accept the purse payment").click()


def test_the_till_takes_purse_payments_offline_and_uploads_them_on_reconnect(app, browser, base_url, till_page, api,
                                                                           console):
    page = till_page
    terminal = make_terminal(api)
    alice = api.person(name="Alice", balance=5_000)
    bob = api.person(name="Bob", balance=5_000)
    bobs_phone = Phone(bob)  # a second customer's phone, played in Python (tests/support/purse.py)
    assert bobs_phone.take_purse(api, 1_000).status_code == 201

    wallet = browser.new_context(viewport=PHONE, base_url=base_url).new_page()
    console.watch(wallet)
    sign_in_with_a_code(wallet, api, alice)
    wallet.get_by_role("button", name="Purse").click()
    wallet.get_by_label("Amount to set aside").fill("20")
    wallet.get_by_role("button", name="Reserve").click()
    expect(wallet.locator("#purses li")).to_contain_text("$20.00 left of $20.00")
    # The phone loses the network too (case 3: both offline); the app shell opens from its cache.
    wallet.evaluate("navigator.serviceWorker.ready")
    wallet.context.set_offline(True)
    wallet.reload()
    expect(wallet.get_by_role("status")).to_have_text("You are offline: your offline purse still pays.")
    expect(wallet.locator("#purses li")).to_contain_text("$20.00 left of $20.00")
    expect(wallet.get_by_role("button", name="Reserve")).to_be_hidden()

    page.goto("/terminal")
    page.get_by_label("Terminal id").fill(terminal.terminal_id)
    page.get_by_label("Terminal secret").fill(terminal.secret)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#who")).to_contain_text("USD")
    sent = []
    page.on("request", lambda request: "/api/v1/" in request.url and sent.append(request.url))
    page.get_by_label("Offline (no uplink)").check()
    expect(page.locator("#notice")).to_contain_text("Offline")
    sent.clear()  # the /config read just before the uplink goes (the issuer keys and revoked purses)
    status = page.locator("#request-status")

    # Alice's phone pays the till's code from its purse; the till checks and queues it.
    payload, _ = offline_sale(page, "4.50")
    wallet.get_by_role("button", name="Pay with the USD purse").click()
    wallet.get_by_label("Or paste the till's code").fill(payload)
    wallet.get_by_role("button", name="Check").click()
    wallet.get_by_role("button", name="Pay with the purse").click()
    expect(wallet.locator("#purse-token-text")).to_have_value(re.compile("^WPP1:"))
    hand_over(page, wallet.locator("#purse-token-text").input_value())
    expect(status).to_have_text("Paid with the customer's offline purse: queued for upload.")
    expect(wallet.locator("#purses li")).to_contain_text("$15.50 left of $20.00")  # by this phone's own record
    expect(page.locator("#queue-count")).to_have_text("1 offline sale waiting to upload.")

    # Bob's: tampered, for another request, then right; then his counter again at the next sale.
    _, nonce = offline_sale(page, "3.00")
    signed = bobs_phone.token(terminal.terminal_id, 300, nonce=nonce)
    hand_over(page, "WPP1:" + json.dumps({"certificate": bobs_phone.certificate, "token": signed | {"amount": 30}}))
    expect(status).to_have_text("Purse payment refused: tampered.")
    other = bobs_phone.token(terminal.terminal_id, 300, nonce="0123456789abcdef")
    hand_over(page, "WPP1:" + json.dumps({"certificate": bobs_phone.certificate, "token": other}))
    expect(status).to_have_text("Purse payment refused: wrong_request.")
    hand_over(page, "WPP1:" + json.dumps({"certificate": bobs_phone.certificate, "token": signed}))
    expect(status).to_have_text("Paid with the customer's offline purse: queued for upload.")
    _, nonce = offline_sale(page, "3.00")
    again = bobs_phone.token(terminal.terminal_id, 300, nonce=nonce, counter=signed["counter"])
    hand_over(page, "WPP1:" + json.dumps({"certificate": bobs_phone.certificate, "token": again}))
    expect(status).to_have_text("Purse payment refused: counter_seen.")
    expect(page.locator("#queue-count")).to_have_text("2 offline sales waiting to upload.")
    assert sent == []  # nothing left the till while it was offline

    page.get_by_label("Offline (no uplink)").uncheck()
    expect(page.get_by_role("list", name="Upload answers")).to_have_text(
        "Purse payment of $4.50 (token 1): postedPurse payment of $3.00 (token 1): posted")
    expect(page.locator("#queue-count")).to_have_text("0 offline sales waiting to upload.")
    [alices] = api.get(purses_path(alice), alice).json["data"]
    bobs = api.get(f"{purses_path(bob)}/{bobs_phone.certificate['purse_id']}", bob).json
    assert (alices["spent"], bobs["spent"]) == (450, 300)
    assert merchant_balance(app, terminal.merchant_id) == 750
    assert api.verify_ledger() == []
    wallet.context.close()
    # Offline, the wallet's token refresh and purse list could not reach the server: Chromium logs that.
    assert [e for e in console.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


README_CERT = {"purse_id": "prs_examplepurse0000000000000", "device_key": "Kay64UG8yvCyLhqU000LxzYeUm0L_hLIl5S8kyKWbdc",
               "currency": "USD", "allowance": 5000, "max_payment": 1500, "valid_until": 1796300000, "kid": "p2026a",
               "signature": "W-y2H3zEowJEMLAdz6SEwRlss_vNNMNXGqPohXg79TgVU7gcRtYRv_BBArfK8n7fZfwXp_4wnc26dtIsRc4WAg"}
README_TOKEN = {"purse_id": "prs_examplepurse0000000000000", "counter": 7, "terminal_id": "ter_exampleterminal000000000",
                "nonce": "9c41e07a2b5d8f13", "amount": 450, "currency": "USD", "time": 1795700000,
                "signature": "mOd_FPgpzMrXS41rOrAK6P2FgXr3EkGNvsVVyJRMB6lt9wyg-nHf5pe0_UUIwBRdGUHz1YJ9qI3ihFIfsRxIBw"}


def test_the_tills_purse_checks_give_the_readmes_worked_example_and_purse_pys_reasons(till_page, console):
    page = till_page
    page.goto("/terminal")
    reasons = page.evaluate("""async ([cert, token]) => {
        const {refusal} = await import("/static/terminal/js/purse.js");
        const check = {purse: {issuer_keys: [{kid: "p2026a", public_key: "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"}],
                               revoked: []},
                       terminalId: token.terminal_id, nonce: token.nonce, amount: 450, currency: "USD", now: 1795700100};
        const flip = (s) => (s[0] === "A" ? "B" : "A") + s.slice(1);
        return [
            await refusal(cert, token, check),
            await refusal({...cert, kid: "other"}, token, check),
            await refusal({...cert, allowance: 9999}, token, check),
            await refusal(cert, {...token, signature: flip(token.signature)}, check),
            await refusal(cert, {...token, amount: 451}, check),
            await refusal(cert, token, {...check, purse: {...check.purse, revoked: [cert.purse_id]}}),
            await refusal(cert, token, {...check, now: 1796300001}),
            await refusal(cert, token, {...check, terminalId: "ter_another"}),
            await refusal(cert, token, {...check, nonce: "0000000000000000"}),
            await refusal(cert, token, {...check, amount: 400}),
            await refusal(cert, token, {...check, currency: "EUR"}),
        ];
    }""", [README_CERT, README_TOKEN])
    assert reasons == [None, "unknown_issuer_key", "tampered", "tampered", "tampered", "revoked", "expired",
                       "wrong_terminal", "wrong_request", "wrong_request", "foreign_currency"]
    assert console.errors == []

"""Fees and offline sales' times of sale as the pages show them, in Chromium: the wallet's history
rows and receipts (the person's own fee, the time of sale beside the time of posting), and the
merchant dashboard's sales list (the merchant's fee, the time of sale), settlement (sales,
refunds, gross, fees, net) and monthly statement (its table and CSV). Each test also fails on any console error or CSP refusal."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import clock
from tests.support.browser import sign_in_with_a_code
from tests.support.dashboard import DESKTOP, sign_in as sign_in_merchant
from tests.support.fees import set_fee_settings, set_merchant_fee
from tests.support.offline import make_offline_till, pay
from tests.support.qr import merchant_balance

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def sale(app, api):
    """Alice sends Bob 10.00 with a 1% P2P fee (0.10), and pays 10.00 at an offline till whose code
    was made ten minutes before; the shop's rate is 1.5%, at least 0.20 (so 0.20)."""
    set_fee_settings(app, p2p_rate_bps=100, p2p_min=5)
    try:
        alice = api.person(name="Alice Fees", balance=10_000)
        bob = api.person(name="Bob Gets")
        sent = api.transfer(alice, bob.phone, 1_000)
        assert (sent.status_code, sent.json["fee"]) == (201, 10), sent.json
        till = make_offline_till(api)
        set_merchant_fee(app, till.terminal.merchant_id, 150, 20)
        made = int(clock.now().timestamp()) - 600
        paid = pay(api, alice, till.code(1_000, issued_at=made, reference="OFF-1").payload)
        assert paid.status_code == 201, paid.json
        yield alice, till, paid.json["id"], datetime.fromtimestamp(made, UTC)
    finally:
        set_fee_settings(app)  # the global settings back to no fees for the other tests


def local(page, moment: datetime) -> str:
    """The moment as the page writes it (toLocaleString in the browser's locale and zone)."""
    return page.evaluate("(iso) => new Date(iso).toLocaleString()", moment.isoformat())


def test_the_wallet_shows_its_own_fee_and_the_time_of_an_offline_sale(phone_page, api, sale, console):
    page = phone_page
    alice, _, payment_id, sold = sale
    sign_in_with_a_code(page, api, alice)
    page.get_by_role("button", name="History").click()
    rows = page.locator("#history-list li")
    transfer = rows.filter(has_text="transfer")
    expect(transfer.locator(".fee")).to_have_text("fee $0.10")
    payment = rows.filter(has=page.locator(f"[data-id='{payment_id}']"))
    expect(payment.locator(".sold")).to_have_text(f"sold offline {local(page, sold)}")
    expect(payment.locator(".fee")).to_have_count(0)  # the shop's fee is not the customer's cost

    payment.get_by_role("button").click()
    receipt = page.locator("#receipt dl")
    expect(receipt).to_contain_text(f"Sold (offline){local(page, sold)}")
    expect(receipt).to_contain_text("Posted")
    expect(receipt).not_to_contain_text("Fee")
    page.locator("#receipt").get_by_role("button", name="Close").click()
    transfer.get_by_role("button").click()
    expect(receipt).to_contain_text("Fee$0.10")
    assert console.errors == []


def test_the_dashboard_shows_the_fee_the_time_of_sale_and_gross_fees_net(browser, base_url, api, sale, console):
    _, till, _, sold = sale
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        console.watch(page)
        sign_in_merchant(page, till.owner)
        cells = page.locator("#sales-table tbody tr", has_text="OFF-1").locator("td")
        expect(cells.nth(5)).to_have_text("$10.00")
        expect(cells.nth(6)).to_have_text("$0.20")
        expect(cells.nth(7)).to_have_text(local(page, sold))

        page.get_by_role("button", name="Settlements").click()
        expect(page.locator("#settlement-table tbody tr").last).to_have_text(
            "All terminals (USD)1$10.00$0.00$10.00$0.20$9.80")

        # the month's statement: this UTC month by default, the month's row first, then each day's
        month = clock.now().strftime("%Y-%m")
        page.get_by_role("button", name="Statements").click()
        expect(page.get_by_label("Month (UTC)")).to_have_value(month)
        rows = page.locator("#statement-table tbody tr")
        expect(rows.first).to_have_text(f"Month {month}$0.00$10.00$0.00$0.20$0.00$0.00$9.80$9.80")
        expect(rows).to_have_count(1 + clock.now().day)  # up to today
        expect(rows.last).to_have_text(f"{clock.now().date().isoformat()}$0.00$10.00$0.00$0.20$0.00$0.00$9.80$9.80")
        expect(page.locator("#statement-summary")).to_contain_text("closed at $9.80")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        *_, total = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert total == [month, "USD", "0", "1000", "0", "20", "0", "0", "0", "980", "980"]
        # and the API's statement closes at the merchant's balance
        statement = api.get(f"/api/v1/merchants/{till.terminal.merchant_id}/statements/{month}", till.owner).json
        assert statement["closing_balance"] == merchant_balance(api.app, till.terminal.merchant_id) == 980
        assert console.errors == []
    finally:
        context.close()

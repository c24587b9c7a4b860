"""The merchant's discount fee on every payment path: a QR code (static, dynamic, an order's), a
terminal's charge, a vending capture, an offline code; and refunds that give it back, or not, as
configured. Each fee is a ledger line of its own, merchant -> fee revenue, in the payment's call."""
from __future__ import annotations

import uuid

from tests.support.fees import fee_lines, recorded_fee, revenue, set_fee_settings, set_merchant_fee
from tests.support.merchant_server import make_order, make_server, refund_order
from tests.support.offline import make_offline_till
from tests.support.offline import pay as pay_offline
from tests.support.payment_codes import charged, customer, phone_of
from tests.support.qr import make_code, make_merchant, merchant_balance, pay
from tests.support.terminals import make_terminal, refund_charge


def merchant_line(app, txn_id: str, fee: int) -> None:
    """One fee line of `fee`, from one of the merchant's accounts (a credit bucket: the one the payment
    credited), into the revenue account; recorded on the payment."""
    line, = fee_lines(app, txn_id)
    assert (line["type"], line["amount"], line["transfer_amount"]) == ("fee", fee, fee)
    assert line["debit"].startswith("acc_") and line["credit"].startswith("acc_fee_revenue_usd.")
    assert recorded_fee(app, txn_id) == fee


def test_a_static_and_a_dynamic_code_pay_the_merchant_gross_then_its_fee(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")
    set_merchant_fee(app, merchant["id"], 150, 20)  # 1.5%, at least 0.20
    payer = api.person(name="Payer", balance=10_000)

    static = make_code(api, owner, merchant, kind="static")
    small = pay(api, payer, static["payload"], amount=1000, key=str(uuid.uuid4()))
    dynamic = make_code(api, owner, merchant, amount=3033)
    large = pay(api, payer, dynamic["payload"], key=str(uuid.uuid4()))

    assert (small.status_code, large.status_code) == (201, 201)
    assert (small.json["fee"], large.json["fee"]) == (20, 45)  # 15 -> the minimum 20; 45.495 -> 45
    merchant_line(app, small.json["id"], 20)
    merchant_line(app, large.json["id"], 45)
    # the payer paid the price only; the merchant holds gross - fees; the revenue account the fees
    assert api.wallet(payer)["balance"] == 10_000 - 1000 - 3033
    assert merchant_balance(app, merchant["id"]) == 1000 + 3033 - 65
    assert revenue(app) == 65
    # the merchant's sales list carries the fee on the payment, and the fee lines as rows of their own
    rows = api.get(f"/api/v1/merchants/{merchant['id']}/transactions", owner).json["data"]
    assert sorted((r["type"], r["amount"], r["fee"]) for r in rows) == [
        ("fee", -45, 0), ("fee", -20, 0), ("payment", 1000, 20), ("payment", 3033, 45)]
    csv = api.get(f"/api/v1/merchants/{merchant['id']}/transactions.csv", owner).get_data(as_text=True)
    header, *lines = csv.strip().splitlines()
    assert header.endswith(",fee") and sum(1 for line in lines if line.endswith(",45")) == 1
    assert api.verify_ledger() == []


def test_an_order_refunded_in_full_returns_the_fee_when_the_merchant_says_so(app, api):
    _, merchant, server = make_server(app, api)
    set_merchant_fee(app, merchant["id"], 200, 0, refund_returns_fee=True)
    buyer = api.person(name="Carol", balance=5000)
    order = make_order(server, amount=1000)
    assert pay(api, buyer, order["payload"]).status_code == 201
    payment_id = server.get(f"/orders/{order['id']}").json["transaction_id"]
    merchant_line(app, payment_id, 20)

    first = refund_order(server, order["id"], 400)
    second = refund_order(server, order["id"], 600)

    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json["fee_returned"], first.json["returns_fee"]) == (8, True)
    assert second.json["fee_returned"] == 12  # 20 in all: the whole fee
    assert merchant_balance(app, merchant["id"]) == 0 and revenue(app) == 0
    assert api.wallet(buyer)["balance"] == 5000
    line, = fee_lines(app, first.json["id"])
    assert (line["type"], line["amount"]) == ("fee_return", 8)
    receipt = api.get(f"/api/v1/transactions/{payment_id}", buyer).json
    assert receipt["fee"] == 20 and [r["fee_returned"] for r in receipt["refunds"]] == [8, 12]
    assert api.verify_ledger() == []


def test_a_refund_keeps_the_fee_by_default_and_says_so(app, api):
    terminal = make_terminal(api)
    set_merchant_fee(app, terminal.merchant_id, 100, 10)
    alice = api.person(name="Alice Dupont", balance=5000)
    sale = charged(terminal, phone_of(api, alice), 2000)
    assert sale["status"] == "succeeded"
    merchant_line(app, sale["transaction_id"], 20)

    refund = refund_charge(terminal, sale["id"], 1000)

    assert refund.status_code == 201, refund.json
    assert (refund.json["fee_returned"], refund.json["returns_fee"]) == (0, False)
    assert fee_lines(app, refund.json["id"]) == []
    assert api.wallet(alice)["balance"] == 4000
    assert revenue(app) == 20 and merchant_balance(app, terminal.merchant_id) == 2000 - 20 - 1000
    assert api.verify_ledger() == []


def test_the_global_setting_returns_fees_for_merchants_without_their_own(app, api):
    terminal = make_terminal(api)
    set_merchant_fee(app, terminal.merchant_id, 100, 0)  # refund_returns_fee: None, the global setting
    set_fee_settings(app, refund_returns_fee=True)
    alice = api.person(name="Alice Dupont", balance=5000)
    sale = charged(terminal, phone_of(api, alice), 1000)

    refund = refund_charge(terminal, sale["id"], 500)

    assert (refund.json["fee_returned"], refund.json["returns_fee"]) == (5, True)
    assert revenue(app) == 5


def test_a_vending_capture_pays_the_fee_on_what_was_captured(app, api):
    terminal = make_terminal(api, kind="vending", label="Snacks 3")
    set_merchant_fee(app, terminal.merchant_id, 250, 0)
    buyer = customer(api, balance=2000)
    held = terminal.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500},
                         key=str(uuid.uuid4()))
    assert held.status_code == 201, held.json
    assert revenue(app) == 0  # a hold is not a payment: no fee yet

    captured = terminal.post(f"/api/v1/pos/authorizations/{held.json['id']}/capture", {"amount": 300},
                             key=str(uuid.uuid4()))

    assert captured.status_code in (200, 201), captured.json
    assert revenue(app) == 8  # 2.5% of 3.00 = 7.5 -> 8
    assert merchant_balance(app, terminal.merchant_id) == 300 - 8
    assert api.verify_ledger() == []


def test_an_offline_code_paid_in_the_app_pays_the_fee(app, api):
    till = make_offline_till(api)
    set_merchant_fee(app, till.terminal.merchant_id, 100, 0)
    payer = api.person(name="Customer", balance=5_000)
    paid = pay_offline(api, payer, till.code(450).payload)
    assert paid.status_code == 201, paid.json
    assert paid.json["fee"] == 5  # 4.5 -> 5
    merchant_line(app, paid.json["id"], 5)
    assert merchant_balance(app, till.terminal.merchant_id) == 445


def test_batch_close_and_settlement_show_gross_fees_and_net(app, api):
    # given a till whose merchant pays 2% (refunds give it back), a sale of 10.00, a vending-style
    # reversal-free refund of 4.00, and a sale of 5.00
    terminal = make_terminal(api)
    owner_merchant = terminal.merchant_id
    set_merchant_fee(app, owner_merchant, 200, 0, refund_returns_fee=True)
    alice = api.person(name="Alice Dupont", balance=5000)
    first = charged(terminal, phone_of(api, alice), 1000)
    charged(terminal, phone_of(api, alice), 500)
    assert refund_charge(terminal, first["id"], 400).status_code == 201

    # when the terminal closes its batch
    batch = terminal.post("/api/v1/pos/batches/close", key=str(uuid.uuid4()))

    # then: sales 15.00, refunds 4.00, gross 11.00; fees 0.20 + 0.10 - 0.08 back; net what is left
    assert batch.status_code == 201, batch.json
    assert batch.json["totals"]["USD"] == {"sales": 1500, "refunds": 400, "gross": 1100, "fees": 22, "net": 1078}
    assert merchant_balance(app, owner_merchant) == 1078
    assert revenue(app) == 22


def test_a_reversal_gives_the_fee_back_whatever_the_setting(app, api):
    terminal = make_terminal(api)
    set_merchant_fee(app, terminal.merchant_id, 300, 0, refund_returns_fee=False)
    alice = api.person(name="Alice Dupont", balance=5000)
    sale = charged(terminal, phone_of(api, alice), 1000)
    assert revenue(app) == 30

    reversed_ = terminal.post(f"/api/v1/pos/charges/{sale['id']}/reverse", key=str(uuid.uuid4()))

    assert reversed_.status_code in (200, 201), reversed_.json
    assert revenue(app) == 0 and merchant_balance(app, terminal.merchant_id) == 0
    assert api.wallet(alice)["balance"] == 5000
    assert api.verify_ledger() == []


def test_a_large_charge_confirmed_by_the_customer_pays_the_fee(app, api):
    from tests.support.payment_codes import PIN, set_pin
    terminal = make_terminal(api)
    set_merchant_fee(app, terminal.merchant_id, 100, 0)
    alice = api.person(name="Alice Dupont", balance=50_000)
    set_pin(api, alice)
    made = charged(terminal, phone_of(api, alice), 15_000)
    assert made["status"] == "requires_confirmation" and revenue(app) == 0

    confirmed = api.post(f"/api/v1/payments/{made['id']}/confirm", alice, json={"pin": PIN})

    assert confirmed.status_code == 200, confirmed.json
    merchant_line(app, confirmed.json["transaction_id"], 150)
    assert merchant_balance(app, terminal.merchant_id) == 15_000 - 150
    assert api.verify_ledger() == []


def test_a_purse_capture_pays_the_fee_even_when_it_credits_the_merchant_in_two_lines(app, api):
    from tests.support.purse import Phone, upload
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 1_000).status_code == 201
    till = make_terminal(api)
    # 100%: the fee is the whole payment, more than either line of the second capture
    set_merchant_fee(app, till.merchant_id, 10_000, 0)

    first = upload(till, phone.record(phone.token(till.terminal_id, 800, counter=1)))
    # 200 still held, 300 more from the wallet: two lines into the merchant's buckets
    second = upload(till, phone.record(phone.token(till.terminal_id, 500, counter=2)))

    assert (first[0]["status"], second[0]["status"]) == ("posted", "posted")
    assert recorded_fee(app, first[0]["payment_id"]) == 800 and recorded_fee(app, second[0]["payment_id"]) == 500
    assert merchant_balance(app, till.merchant_id) == 0 and revenue(app) == 1_300
    assert api.verify_ledger() == []

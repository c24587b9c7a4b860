"""A transaction as a receipt: merchant, terminal, reference, refunds against it, ledger legs."""
from __future__ import annotations

import uuid

from tests.support.errors import assert_envelope
from tests.support.history import qr_payment, shop
from tests.support.payment_codes import charged, phone_of
from tests.support.qr import make_merchant
from tests.support.terminals import make_terminal


def receipt(api, person, txn_id):
    return api.get(f"/api/v1/transactions/{txn_id}", person)


def till_sale(app, api, amount=1000):
    owner = api.person(name="Shop Owner")
    merchant = make_merchant(app, api, owner=owner, name="Bäckerei Müller", city="Bern")
    terminal = make_terminal(api, owner=owner, merchant=merchant, label="Till 7")
    alice = api.person(name="Alice", balance=5000)
    sale = charged(terminal, phone_of(api, alice), amount, reference="INV-981")
    return terminal, merchant, alice, sale


def give_back(terminal, charge_id, amount=None):
    path = f"/api/v1/pos/charges/{charge_id}/" + ("refunds" if amount else "reverse")
    response = terminal.post(path, {"amount": amount} if amount else None, key=str(uuid.uuid4()))
    assert response.status_code in (200, 201), response.json
    return response.json


def test_a_till_payment_receipt_names_the_shop_the_till_and_the_refunds(app, api):
    # given a sale of 10.00 at Till 7, refunded 3.00 and then 2.00
    terminal, merchant, alice, sale = till_sale(app, api)
    first = give_back(terminal, sale["id"], 300)
    second = give_back(terminal, sale["id"], 200)

    # when Alice opens the payment
    response = receipt(api, alice, sale["transaction_id"])

    # then it is a full receipt
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["type"], body["amount"], body["currency"], body["reference"]) == ("payment", -1000, "USD", "INV-981")
    assert body["merchant"] == {"id": merchant["id"], "name": "Bäckerei Müller", "city": "Bern"}
    assert body["terminal"] == {"id": terminal.terminal_id, "label": "Till 7"}
    assert [(r["id"], r["type"], r["amount"]) for r in body["refunds"]] == \
        [(first["id"], "refund", 300), (second["id"], "refund", 200)]
    assert all(r["status"] == "succeeded" and r["created_at"] for r in body["refunds"])
    assert [(leg["kind"], leg["debit_account_id"], leg["amount"]) for leg in body["legs"]] == \
        [("posted", alice.wallet_id, 1000)]


def test_a_refunds_own_receipt_points_back_at_the_payment(app, api):
    terminal, merchant, alice, sale = till_sale(app, api)
    refund = give_back(terminal, sale["id"], 400)

    body = receipt(api, alice, refund["id"]).json

    assert (body["type"], body["amount"], body["related_id"]) == ("refund", 400, sale["transaction_id"])
    assert body["merchant"]["id"] == merchant["id"] and body["terminal"]["label"] == "Till 7"
    assert body["refunds"] == []


def test_a_reversal_is_listed_among_the_refunds(app, api):
    terminal, _, alice, sale = till_sale(app, api, amount=700)
    give_back(terminal, sale["id"])  # reversal of what is left

    refunds = receipt(api, alice, sale["transaction_id"]).json["refunds"]

    assert [(r["type"], r["amount"]) for r in refunds] == [("reversal", 700)]


def test_a_qr_payment_receipt_has_the_merchant_but_no_terminal(app, api):
    owner, merchant = shop(app, api, name="Kopi Corner", city="Singapore")
    alice = api.person(balance=1000)
    txn_id = qr_payment(api, owner, merchant, alice, 450, reference="T12-0042")

    body = receipt(api, alice, txn_id).json

    assert body["merchant"] == {"id": merchant["id"], "name": "Kopi Corner", "city": "Singapore"}
    assert body["terminal"] is None and body["terminal_id"] is None
    assert body["reference"] == "T12-0042"


def test_a_transfer_between_people_has_no_merchant(api):
    alice, bob = api.person(balance=500), api.person()
    txn_id = api.transfer(alice, bob.phone, 100).json["id"]

    body = receipt(api, bob, txn_id).json

    assert body["merchant"] is None and body["amount"] == 100


def test_a_stranger_cannot_read_a_receipt_even_with_refunds(app, api):
    terminal, _, _alice, sale = till_sale(app, api)
    give_back(terminal, sale["id"], 100)
    carol = api.person()

    assert_envelope(receipt(api, carol, sale["transaction_id"]), 404, "not_found")

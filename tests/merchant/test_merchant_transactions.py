"""A merchant's history: its staff read it (filterable by terminal, currency and the wallet
filters, as JSON or CSV); nobody else can."""
from __future__ import annotations

import csv
import io

import pytest

from tests.support.errors import assert_envelope
from tests.support.history import qr_payment
from tests.support.payment_codes import charged, phone_of
from tests.support.qr import make_merchant
from tests.support.terminals import make_terminal


def merchant_history(api, person, merchant_id, **params):
    return api.get(f"/api/v1/merchants/{merchant_id}/transactions", person, query_string=params)


def listed(api, person, merchant_id, **params) -> list[str]:
    response = merchant_history(api, person, merchant_id, **params)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["data"]]


@pytest.fixture
def two_tills(app, api):
    """A shop with two tills; Alice paid at each, and once by its QR sticker."""
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, name="Kopi Corner", city="Singapore")
    till1 = make_terminal(api, owner=owner, merchant=merchant, label="Till 1")
    till2 = make_terminal(api, owner=owner, merchant=merchant, label="Till 2")
    alice = api.person(name="Alice Tan", balance=10_000)
    phone = phone_of(api, alice)
    made = {"t1a": charged(till1, phone, 100, reference="A-1")["transaction_id"],
            "t2": charged(till2, phone, 200, reference="B-1")["transaction_id"],
            "t1b": charged(till1, phone, 300, reference="A-2")["transaction_id"],
            "qr": qr_payment(api, owner, merchant, alice, 400, reference="Q-1")}
    return owner, merchant, till1, till2, alice, made


def test_staff_see_every_payment_newest_first_from_the_merchants_side(api, two_tills):
    owner, merchant, till1, _, _, made = two_tills

    body = merchant_history(api, owner, merchant["id"]).json

    assert [i["id"] for i in body["data"]] == [made["qr"], made["t1b"], made["t2"], made["t1a"]]
    assert [i["amount"] for i in body["data"]] == [400, 300, 200, 100]
    # Payments land in the merchant's credit buckets at once: no running balance, one account id.
    assert [i["balance_after"] for i in body["data"]] == [None] * 4
    assert len({i["wallet_id"] for i in body["data"]}) == 1 and "." not in body["data"][0]["wallet_id"]
    assert body["data"][1]["terminal_id"] == till1.terminal_id and body["data"][0]["terminal_id"] is None
    # the customer's name, not their wallet id
    assert body["data"][0]["counterparty"] == {"type": "user", "name": "Alice Tan"}


def test_terminal_id_keeps_one_tills_rows(api, two_tills):
    owner, merchant, till1, till2, _, made = two_tills

    assert listed(api, owner, merchant["id"], terminal_id=till1.terminal_id) == [made["t1b"], made["t1a"]]
    assert listed(api, owner, merchant["id"], terminal_id=till2.terminal_id) == [made["t2"]]
    assert listed(api, owner, merchant["id"], terminal_id="ter_unknown") == []


def test_the_wallet_filters_work_for_merchants_too(api, two_tills):
    owner, merchant, till1, _, _, made = two_tills

    assert listed(api, owner, merchant["id"], q="a-") == [made["t1b"], made["t1a"]]
    assert listed(api, owner, merchant["id"], q="alice tan", terminal_id=till1.terminal_id) == \
        [made["t1b"], made["t1a"]]
    assert listed(api, owner, merchant["id"], type="refund") == []
    assert_envelope(merchant_history(api, owner, merchant["id"], to="tomorrow"), 422, "validation_error")


def test_the_merchant_csv_matches_its_list(api, two_tills):
    owner, merchant, till1, _, _, _ = two_tills
    items = merchant_history(api, owner, merchant["id"], terminal_id=till1.terminal_id).json["data"]

    response = api.get(f"/api/v1/merchants/{merchant['id']}/transactions.csv", owner,
                       query_string={"terminal_id": till1.terminal_id})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["id"], r["amount"], r["counterparty"], r["reference"]) for r in rows] == \
        [(i["id"], str(i["amount"]), "Alice Tan", i["reference"]) for i in items]


def test_pages_over_two_currencies_neither_skip_nor_repeat_while_payments_arrive(app, api):
    # given a shop with a USD and a EUR account, paid alternately in each
    from app.core.uow import unit_of_work
    from app.merchant.services import merchant_account
    from app.wallet import ledger
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    alice = api.person(name="Alice", balance=100_000)
    assert api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).status_code == 201
    eur_wallet = next(w["id"] for w in api.get("/api/v1/wallets", alice).json["data"] if w["currency"] == "EUR")
    api.topup(alice, 100_000, wallet_id=eur_wallet)
    with app.app_context(), unit_of_work() as uow:
        ledger.open_account(kind="merchant", currency="EUR", merchant_id=merchant["id"], prefix="acc")
        uow.commit()

    def pay(currency: str, amount: int) -> str:
        with app.test_request_context(), unit_of_work() as uow:
            wallet = alice.wallet_id if currency == "USD" else eur_wallet
            account = merchant_account(merchant["id"], currency).id
            txn = ledger.new_transaction(type="payment", status="succeeded", amount=amount, currency=currency,
                                         debit_id=wallet, credit_id=account, reference=f"{currency}-{amount}")
            ledger.record_transfer(txn, kind="posted", debit_id=wallet, credit_id=account, amount=amount)
            uow.commit()
            return txn.id

    made = [pay("USD" if n % 3 else "EUR", 100 + n) for n in range(10)]

    # when staff page three at a time and more payments, in both currencies, arrive between pages
    seen, cursor, arrived = [], None, []
    while True:
        body = merchant_history(api, owner, merchant["id"], limit=3, **({"cursor": cursor} if cursor else {})).json
        seen += [i["id"] for i in body["data"]]
        if not body["has_more"]:
            break
        arrived += [pay("EUR", 999), pay("USD", 998)]
        cursor = body["next_cursor"]

    # then they saw each of the first ten exactly once, newest first
    assert seen == list(reversed(made))
    # and one currency alone is that account's rows
    assert listed(api, owner, merchant["id"], currency="EUR", limit=100)[-4:] == \
        [made[9], made[6], made[3], made[0]]


def test_a_cursor_the_api_did_not_issue_is_422(api, two_tills):
    owner, merchant, *_ = two_tills

    assert_envelope(merchant_history(api, owner, merchant["id"], cursor="e30"), 422, "validation_error")
    assert_envelope(merchant_history(api, owner, merchant["id"], cursor="eyJhIjp7IngiOi0xfX0"), 422,
                    "validation_error")  # {"a":{"x":-1}}


def test_only_staff_can_read_a_merchants_history(app, api, two_tills):
    _, merchant, _, _, alice, _ = two_tills
    other_owner = api.person(name="Other owner")
    other = make_merchant(app, api, owner=other_owner)

    for path in ("transactions", "transactions.csv"):
        # a customer, another merchant's owner, a missing merchant: the same 404; no token: 401
        assert_envelope(api.get(f"/api/v1/merchants/{merchant['id']}/{path}", alice), 404, "not_found")
        assert_envelope(api.get(f"/api/v1/merchants/{merchant['id']}/{path}", other_owner), 404, "not_found")
        assert_envelope(api.get(f"/api/v1/merchants/mer_missing/{path}", other_owner), 404, "not_found")
        assert api.get(f"/api/v1/merchants/{merchant['id']}/{path}").status_code == 401
    assert listed(api, other_owner, other["id"]) == []

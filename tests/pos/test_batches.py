"""Closing a terminal's batch, and a merchant's daily settlement, read from the ledger."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock
from tests.support.payment_codes import customer
from tests.support.terminals import make_terminal

CLOSE = "/api/v1/pos/batches/close"


def zero() -> dict:
    return {"sales": 0, "refunds": 0, "gross": 0, "fees": 0, "net": 0}


def charge(terminal, buyer, amount: int) -> dict:
    response = terminal.post("/api/v1/pos/charges", {"payment_code": buyer.code(), "amount": amount,
                                                     "currency": "USD", "reference": "R-1"})
    assert response.status_code == 201 and response.json["status"] == "succeeded", response.json
    return response.json


def captured(terminal, buyer, held: int, taken: int) -> dict:
    response = terminal.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": held})
    assert response.status_code == 201, response.json
    response = terminal.post(f"/api/v1/pos/authorizations/{response.json['id']}/capture", {"amount": taken})
    assert response.status_code == 200, response.json
    return response.json


def book(app, terminal, buyer, *, type: str, amount: int, status: str = "succeeded", days_ago: int = 0) -> None:
    """A transaction written straight into the ledger, for what no endpoint makes: a payment
    marked "reversed", or one on another day."""
    from app.core.uow import unit_of_work
    from app.merchant.services import merchant_account
    from app.wallet import ledger
    clock.advance(-86400 * days_ago)
    try:
        with app.test_request_context(), unit_of_work() as uow:
            shop = merchant_account(terminal.merchant_id, "USD").id
            debit, credit = (buyer.person.wallet_id, shop) if type == "payment" else (shop, buyer.person.wallet_id)
            txn = ledger.new_transaction(type=type, status=status, amount=amount, currency="USD", debit_id=debit,
                                         credit_id=credit, terminal_id=terminal.terminal_id)
            ledger.record_transfer(txn, kind="posted", debit_id=debit, credit_id=credit, amount=amount)
            uow.commit()
    finally:
        clock.advance(86400 * days_ago)


def test_closing_a_batch_totals_sales_and_refunds_and_leaves_reversed_payments_out(app, api):
    # given a terminal that charged 10.00 and 5.00 (2.00 of it refunded), charged 3.00 and
    # reversed it, captured 4.50 of a 8.00 hold, voided another hold, and one payment marked reversed
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    charge(terminal, buyer, 1000)
    partly_refunded = charge(terminal, buyer, 500)
    assert terminal.post(f"/api/v1/pos/charges/{partly_refunded['id']}/refunds", {"amount": 200}).status_code == 201
    reversed_charge = charge(terminal, buyer, 300)
    assert terminal.post(f"/api/v1/pos/charges/{reversed_charge['id']}/reverse").status_code == 200
    captured(terminal, buyer, 800, 450)
    held = terminal.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 600}).json
    terminal.post(f"/api/v1/pos/authorizations/{held['id']}/void")
    book(app, terminal, buyer, type="payment", amount=700, status="reversed")

    # when it closes its batch
    response = terminal.post(CLOSE)

    # then sales are 10.00 + 5.00 + 4.50, refunds 2.00; the reversed ones and the void are in neither
    assert response.status_code == 201, response.json
    batch = response.json
    assert batch["id"].startswith("bat_") and batch["terminal_id"] == terminal.terminal_id
    assert batch["totals"] == {"USD": {"sales": 1950, "refunds": 200, "gross": 1750, "fees": 0, "net": 1750}}
    assert batch["count"] == 4
    assert batch["opened_at"] < batch["closed_at"]
    assert api.verify_ledger() == []


def test_a_second_close_starts_where_the_first_ended_and_is_empty(api):
    # given a batch closed after one sale
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=5000)
    charge(terminal, buyer, 1000)
    first = terminal.post(CLOSE).json

    # when the terminal closes again without selling anything
    second = terminal.post(CLOSE)

    # then the new batch opened when the first closed and holds zeros
    assert second.status_code == 201
    assert second.json["opened_at"] == first["closed_at"]
    assert (second.json["count"], second.json["totals"]) == (0, {"USD": zero()})
    assert first["totals"]["USD"]["sales"] == 1000


def test_a_capture_counts_in_the_batch_it_was_captured_in(api):
    # given a hold placed before a close and captured after it
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=5000)
    held = terminal.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 800}).json
    before = terminal.post(CLOSE).json
    terminal.post(f"/api/v1/pos/authorizations/{held['id']}/capture", {"amount": 650})

    # when the terminal closes the next batch
    after = terminal.post(CLOSE).json

    # then the authorization was no sale, the capture is one
    assert before["totals"] == {"USD": zero()} and before["count"] == 0
    assert after["totals"] == {"USD": {"sales": 650, "refunds": 0, "gross": 650, "fees": 0, "net": 650}} and after["count"] == 1


def test_another_terminals_sales_are_not_in_this_batch(api):
    owner = api.person(name="Owner")
    mine = make_terminal(api, owner=owner, kind="vending")
    theirs = make_terminal(api, owner=owner, merchant={"id": mine.merchant_id}, label="Till 2")
    buyer = customer(api, balance=5000)
    charge(theirs, buyer, 1000)

    batch = mine.post(CLOSE).json

    assert (batch["count"], batch["totals"]) == (0, {"USD": zero()})


def test_a_settlement_totals_the_merchants_terminals_for_one_utc_day(app, api):
    # given two terminals of one merchant with sales today, one with a sale yesterday, and a
    # terminal of another merchant
    owner = api.person(name="Owner")
    till = make_terminal(api, owner=owner, label="Till")
    machine = make_terminal(api, owner=owner, merchant={"id": till.merchant_id}, kind="vending", label="Machine")
    elsewhere = make_terminal(api, label="Elsewhere")
    buyer = customer(api, balance=20_000)
    charge(till, buyer, 1000)
    book(app, till, buyer, type="refund", amount=250)
    captured(machine, buyer, 800, 300)
    book(app, till, buyer, type="payment", amount=999, days_ago=1)
    charge(elsewhere, buyer, 5000)

    # when the owner reads today's settlement, and yesterday's
    path = f"/api/v1/merchants/{till.merchant_id}/settlements"
    today = clock.now().date()
    response = api.get(f"{path}?date={today.isoformat()}", owner)
    yesterday = api.get(f"{path}?date={(today - timedelta(days=1)).isoformat()}", owner).json

    # then today has both terminals' sales and the refund, each terminal with its part
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["merchant_id"], body["date"]) == (till.merchant_id, today.isoformat())
    assert body["totals"] == {"USD": {"sales": 1300, "refunds": 250, "gross": 1050, "fees": 0, "net": 1050}} and body["count"] == 3
    parts = {p["terminal_id"]: p for p in body["terminals"]}
    assert set(parts) == {till.terminal_id, machine.terminal_id}
    assert parts[till.terminal_id]["totals"] == {"USD": {"sales": 1000, "refunds": 250, "gross": 750, "fees": 0, "net": 750}}
    assert parts[machine.terminal_id]["totals"] == {"USD": {"sales": 300, "refunds": 0, "gross": 300, "fees": 0, "net": 300}}
    # and yesterday only the sale of that day
    assert yesterday["totals"] == {"USD": {"sales": 999, "refunds": 0, "gross": 999, "fees": 0, "net": 999}} and yesterday["count"] == 1
    assert api.verify_ledger() == []


def test_a_settlement_is_not_found_for_someone_who_is_not_staff(api):
    terminal = make_terminal(api)
    stranger = api.person(name="Stranger")

    response = api.get(f"/api/v1/merchants/{terminal.merchant_id}/settlements", stranger)

    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_settlement_date_must_be_a_date(api):
    owner = api.person(name="Owner")
    terminal = make_terminal(api, owner=owner)

    response = api.get(f"/api/v1/merchants/{terminal.merchant_id}/settlements?date=yesterday", owner)

    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"

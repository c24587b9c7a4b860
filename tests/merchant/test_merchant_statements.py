"""A merchant's monthly statement: opening + movements == closing, against the ledger's own sums
over the merchant account and its credit buckets, with fees, fees returned, refunds, a reversal,
a vending hold (counted when captured, not when held) and bucket sweeps; staff only; bad months."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.wallet.models import Account, Entry, Transfer
from tests.support.fees import set_merchant_fee
from tests.support.payment_codes import charged, customer, phone_of
from tests.support.qr import make_code, make_merchant, merchant_balance, pay
from tests.support.terminals import make_terminal, refund_charge

LINES = ("sales", "refunds", "fees", "fees_returned", "adjustments", "other")


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def next_month_start(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def statement(api, staff, merchant_id: str, month: str):
    return api.get(f"/api/v1/merchants/{merchant_id}/statements/{month}", staff)


def ledger_sums(app, merchant_id: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(balance at `start`, posted movement in [start, end)) of the merchant's accounts, summed
    entry by entry from the ledger (posted and captured transfers; a pending entry moves nothing)."""
    with app.app_context():
        parent = db.session.execute(select(Account.id).where(Account.merchant_id == merchant_id,
                                                             Account.kind == "merchant")).scalar_one()
        rows = db.session.execute(
            select(Entry.amount, Entry.created_at).join(Transfer, Transfer.id == Entry.transfer_id)
            .join(Account, Account.id == Entry.account_id)
            .where((Account.id == parent) | (Account.parent_id == parent),
                   Transfer.kind.in_(("posted", "post_pending")))).all()
    before = sum(amount for amount, at in rows if at < start)
    return before, sum(amount for amount, at in rows if start <= at < end)


def signed_in_again(api, *people) -> None:
    """Fresh tokens after the clock moved a month on (past even the refresh token's life)."""
    for person in people:
        response = api.client.post("/api/v1/auth/login", json={"identifier": person.identifier,
                                                                "password": person.password})
        assert response.status_code == 200, response.json
        person.tokens = response.json


def checked(body: dict) -> dict:
    """The statement adds up: per day, over the days, and opening + net == closing."""
    balance = body["opening_balance"]
    for day in body["days"]:
        assert day["opening_balance"] == balance
        assert day["net"] == day["sales"] - day["refunds"] - day["fees"] + day["fees_returned"] \
            + day["adjustments"] + day["other"]
        balance = day["closing_balance"]
        assert balance == day["opening_balance"] + day["net"]
    for name in (*LINES, "net"):
        assert body["totals"][name] == sum(day[name] for day in body["days"])
    assert body["closing_balance"] == balance == body["opening_balance"] + body["totals"]["net"]
    return body


def test_a_month_opens_where_the_last_closed_and_adds_up_to_the_ledger(app, api):
    # given a shop with a 2% fee that gives fees back on refunds, a till, a vending machine and customers
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")
    set_merchant_fee(app, merchant["id"], 200, 0, refund_returns_fee=True)
    till = make_terminal(api, owner=owner, merchant=merchant)
    machine = make_terminal(api, owner=owner, merchant=merchant, kind="vending", label="Snacks")
    payer = api.person(name="Payer", balance=50_000)
    buyer = customer(api, balance=5_000)
    first_month = clock.now()

    # this month: two QR payments, a till charge, a vending capture, a hold never captured, a refund
    static = make_code(api, owner, merchant, kind="static")
    for _ in range(2):
        assert pay(api, payer, static["payload"], amount=1000, key=str(uuid.uuid4())).status_code == 201
    sale = charged(till, phone_of(api, payer), 5000)
    held = machine.post("/api/v1/pos/authorizations", {"amount": 800, "payment_code": buyer.code()}, key=str(uuid.uuid4()))
    assert held.status_code == 201, held.json
    assert machine.post(f"/api/v1/pos/authorizations/{held.json['id']}/capture", {"amount": 500},
                        key=str(uuid.uuid4())).status_code == 200
    assert machine.post("/api/v1/pos/authorizations", {"amount": 300, "payment_code": buyer.code()},
                        key=str(uuid.uuid4())).status_code == 201  # still held at the month's end
    # the refund is more than the account itself holds: the buckets are swept into it first
    assert refund_charge(till, sale["id"], 2500).status_code == 201

    body = checked(statement(api, owner, merchant["id"], month_of(first_month)).json)
    assert (body["opening_balance"], body["complete"], body["time_zone"]) == (0, False, "UTC")
    assert {name: body["totals"][name] for name in (*LINES, "net")} == {
        "sales": 7500, "refunds": 2500, "fees": 150, "fees_returned": 50, "adjustments": 0, "other": 0,
        "net": 4900}
    assert body["closing_balance"] == merchant_balance(app, merchant["id"]) == 4900

    # next month: a payment, and a till charge reversed (its fee comes back whatever the setting)
    clock.advance((next_month_start(first_month) - clock.now()).total_seconds() + 2 * 86400)
    second_month = clock.now()
    signed_in_again(api, owner, payer)
    assert pay(api, payer, static["payload"], amount=2000, key=str(uuid.uuid4())).status_code == 201
    undone = charged(till, phone_of(api, payer), 700)
    assert till.post(f"/api/v1/pos/charges/{undone['id']}/reverse", key=str(uuid.uuid4())).status_code == 200

    later = checked(statement(api, owner, merchant["id"], month_of(second_month)).json)
    assert later["opening_balance"] == 4900 and later["totals"]["sales"] == 2700
    assert (later["totals"]["refunds"], later["totals"]["fees"], later["totals"]["fees_returned"]) == (700, 54, 14)
    assert later["closing_balance"] == merchant_balance(app, merchant["id"]) == 4900 + 1960
    assert len(later["days"]) == 3 and later["days"][2]["sales"] == 2700  # up to today
    # the first month is closed: the same figures, now complete, every day of it listed
    again = checked(statement(api, owner, merchant["id"], month_of(first_month)).json)
    assert again["complete"] and again["closing_balance"] == 4900 and again["totals"] == body["totals"]
    assert len(again["days"]) == (next_month_start(first_month).date() - first_month.date().replace(day=1)).days

    # and the ledger, entry by entry, says the same
    for found, moment in ((again, first_month), (later, second_month)):
        start = datetime.fromisoformat(found["starts_at"])
        opening, moved = ledger_sums(app, merchant["id"], start, datetime.fromisoformat(found["ends_at"]))
        assert (found["opening_balance"], found["totals"]["net"]) == (opening, moved)
    assert api.verify_ledger() == []


def test_the_csv_has_a_row_a_day_and_the_months_row(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")
    set_merchant_fee(app, merchant["id"], 150, 20)
    payer = api.person(name="Payer", balance=5000)
    assert pay(api, payer, make_code(api, owner, merchant, amount=1000)["payload"]).status_code == 201
    month = month_of(clock.now())

    response = api.get(f"/api/v1/merchants/{merchant['id']}/statements/{month}.csv", owner)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="{merchant["id"]}-statement-{month}.csv"' in response.headers["Content-Disposition"]
    header, *rows, total = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == ["date", "currency", "opening_balance", *LINES, "net", "closing_balance"]
    assert len(rows) == clock.now().day and rows[-1][0] == clock.now().date().isoformat()
    assert total == [month, "USD", "0", "1000", "0", "20", "0", "0", "0", "980", "980"]


def test_staff_read_it_and_anyone_else_gets_the_404_of_a_missing_merchant(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")
    stranger = api.person(name="Stranger")
    other = make_merchant(app, api, owner=stranger, currency="USD")
    month = month_of(clock.now())

    for path in (f"{merchant['id']}/statements/{month}", f"{merchant['id']}/statements/{month}.csv"):
        response = api.get(f"/api/v1/merchants/{path}", stranger)
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")
    assert statement(api, stranger, other["id"], month).status_code == 200
    assert statement(api, owner, "mer_nope", month).status_code == 404


def test_a_malformed_or_future_month_is_422_with_the_envelope(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")
    future = month_of(next_month_start(clock.now()))
    for month in ("2026-13", "2026-1", "26-01", "abcd-ef", "2026-00", future, "9999-12", f"{future}.csv"):
        response = statement(api, owner, merchant["id"], month)
        assert response.status_code == 422, (month, response.json)
        assert response.json["error"]["code"] == "validation_error"
        assert response.json["error"]["details"]["fields"][0]["field"] == "month"

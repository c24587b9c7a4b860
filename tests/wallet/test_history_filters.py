"""History filters: type, status, dates, free text; a cursor that keeps working with them."""
from __future__ import annotations

import pytest

from app.core import clock
from tests.support.errors import assert_envelope
from tests.support.history import history, ids, later, qr_payment, shop

DAY = 86_400


def every_page(api, person, *, limit, between=None, **filters) -> list[str]:
    """All rows page by page; `between(n)` runs after page n (e.g. to make new payments)."""
    seen, cursor, n = [], None, 0
    while True:
        body = history(api, person, limit=limit, **filters, **({"cursor": cursor} if cursor else {})).json
        seen += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            return seen
        n += 1
        if between:
            between(n)
        cursor = body["next_cursor"]


def test_type_keeps_only_that_kind_of_transaction(api, mixed):
    alice, _, made = mixed

    assert ids(api, alice, type="payment") == [made["cake"], made["coffee"]]
    assert ids(api, alice, type="topup") == [made["topup"]]
    assert ids(api, alice, type="transfer,topup") == [made["from_bob"], made["to_bob"], made["topup"]]
    assert ids(api, alice, type="refund") == []


def test_status_keeps_only_that_status(app, api):
    # given a succeeded top-up and a hold that is still authorized
    from app.wallet import holds
    alice = api.person(balance=1000)
    _owner, merchant = shop(app, api)
    with app.app_context():
        from app.merchant.services import merchant_account
        hold = holds.authorize(debit_id=alice.wallet_id, credit_id=merchant_account(merchant["id"], "USD").id,
                               amount=400, currency="USD", expires_in=600).id

    # then each status selects its own row
    assert ids(api, alice, status="authorized") == [hold]
    assert len(ids(api, alice, status="succeeded")) == 1
    assert ids(api, alice, status="authorized,succeeded")[0] == hold
    assert ids(api, alice, status="voided") == []


def test_from_and_to_are_whole_utc_days_inclusive(api):
    # given one transfer on each of three days
    alice, bob = api.person(), api.person(balance=10_000)
    days, made = [], []
    for _ in range(3):
        days.append(clock.now().date().isoformat())
        made.append(api.transfer(bob, alice.phone, 100).json["id"])
        later(api, DAY, alice, bob)

    # then from is inclusive, to includes its whole day, and a single day is from == to
    assert ids(api, alice, **{"from": days[1]}) == [made[2], made[1]]
    assert ids(api, alice, to=days[1]) == [made[1], made[0]]
    assert ids(api, alice, **{"from": days[1], "to": days[1]}) == [made[1]]
    assert ids(api, alice, **{"from": days[2], "to": days[2]}) == [made[2]]


@pytest.mark.parametrize("query, expected", [
    ("t12-004", ["cake", "coffee"]),  # reference, any case
    ("0043", ["cake"]),
    ("PIZZA", ["to_bob"]),  # note
    ("50%", ["to_bob"]),  # % is a character, not a wildcard
    ("marley", ["from_bob", "to_bob"]),  # the other person's name
    ("kopi", ["cake", "coffee"]),  # the merchant's name
    ("top-up", ["topup"]),  # the label the top-up float is shown by
    ("_", []),  # _ is a character too
    ("nothing like it", []),
])
def test_q_searches_reference_note_and_the_other_partys_name(api, mixed, query, expected):
    alice, _, made = mixed

    assert ids(api, alice, q=query) == [made[name] for name in expected]


def test_filters_combine(api, mixed):
    alice, _, made = mixed
    today = clock.now().date().isoformat()

    assert ids(api, alice, type="payment", q="0042", **{"from": today, "to": today}) == [made["coffee"]]
    assert ids(api, alice, type="transfer", q="kopi") == []


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"to": "1767225600"}, "to"),  # a unix time is not a date here
    ({"to": "2026-02-30"}, "to"),
    ({"from": ""}, "from"),
    ({"type": "Payment!"}, "type"),
    ({"q": ""}, "q"),
    ({"q": "x" * 101}, "q"),
    ({"limit": 0, "type": "payment"}, "limit"),
])
def test_bad_filters_are_422_with_the_field(api, params, field):
    alice = api.person(balance=100)

    error = assert_envelope(history(api, alice, **params), 422, "validation_error")

    assert any(field in f["field"] for f in error["details"]["fields"]), error


def test_to_before_from_is_422_naming_the_to_parameter(api):
    alice = api.person(balance=100)

    error = assert_envelope(history(api, alice, **{"from": "2026-03-02", "to": "2026-03-01"}), 422, "validation_error")

    # a query parameter's mistake names that parameter, not "body" (which this GET has none of)
    assert [f["field"] for f in error["details"]["fields"]] == ["to"], error


def test_filtered_pages_neither_skip_nor_repeat_while_new_payments_arrive(app, api):
    # given Alice paid the shop twelve times, with transfers to Bob in between
    alice, bob = api.person(name="Alice", balance=100_000), api.person(name="Bob")
    owner, merchant = shop(app, api)
    payments = []
    for n in range(12):
        payments.append(qr_payment(api, owner, merchant, alice, 100 + n, reference=f"R-{n}"))
        api.transfer(alice, bob.phone, 10)

    # when she pages through her payments three at a time, and after each page she pays again
    # (a matching row) and sends Bob money (a row the filter drops)
    arrived = []

    def more(_):
        arrived.append(qr_payment(api, owner, merchant, alice, 999, reference="R-new"))
        api.transfer(alice, bob.phone, 10)

    seen = every_page(api, alice, limit=3, between=more, type="payment", q="R-")

    # then she saw exactly the twelve that existed when she started, newest first, once each
    assert seen == list(reversed(payments))
    assert len(arrived) == 3  # after each of the first three of four pages
    # and a fresh first page starts with what arrived meanwhile
    assert ids(api, alice, type="payment", limit=4) == list(reversed(arrived)) + [payments[-1]]


def test_the_history_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]

    for path in ("/api/v1/wallets/{wallet_id}/transactions", "/api/v1/wallets/{wallet_id}/transactions.csv",
                 "/api/v1/wallets/{wallet_id}/statements/{month}", "/api/v1/transactions/{transaction_id}",
                 "/api/v1/merchants/{merchant_id}/transactions", "/api/v1/merchants/{merchant_id}/transactions.csv"):
        assert "get" in paths[path], path
    params = {p["name"] for p in paths["/api/v1/wallets/{wallet_id}/transactions"]["get"]["parameters"]}
    assert {"type", "status", "from", "to", "q", "limit", "cursor"} <= params

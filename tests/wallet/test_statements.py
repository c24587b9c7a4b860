"""Monthly statements: opening + in - out == closing, month after month."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from tests.support.errors import assert_envelope
from tests.support.history import ids, later, qr_payment, shop


def statement(api, person, month, wallet_id=None):
    return api.get(f"/api/v1/wallets/{wallet_id or person.wallet_id}/statements/{month}", person)


def month_of(moment) -> str:
    return moment.strftime("%Y-%m")


def balances_add_up(body: dict) -> bool:
    moved_in = sum(t["in"] for t in body["totals"].values())
    moved_out = sum(t["out"] for t in body["totals"].values())
    return body["opening_balance"] + moved_in - moved_out == body["closing_balance"]


def test_two_months_chain_and_each_adds_up(app, api):
    # given, in one month, a top-up, a transfer out and in, and a QR payment ...
    alice, bob = api.person(name="Alice"), api.person(name="Bob", balance=5000)
    owner, merchant = shop(app, api)
    first = month_of(clock.now())
    api.topup(alice, 10_000)
    api.transfer(alice, bob.phone, 1200)
    api.transfer(bob, alice.phone, 300)
    qr_payment(api, owner, merchant, alice, 450)
    # ... and in the next month another top-up and a payment
    later(api, 32 * 86_400, alice, bob, owner)
    second = month_of(clock.now())
    assert second != first
    api.topup(alice, 2000)
    qr_payment(api, owner, merchant, alice, 800)

    one = statement(api, alice, first)
    two = statement(api, alice, second)

    # then each month adds up, the second opens where the first closed, and it closes at the balance
    assert one.status_code == 200, one.json
    assert one.json == {"month": first, "currency": "USD", "opening_balance": 0, "closing_balance": 8650,
                        "totals": {"payment": {"in": 0, "out": 450}, "topup": {"in": 10_000, "out": 0},
                                   "transfer": {"in": 300, "out": 1200}}, "count": 4}
    assert two.json["opening_balance"] == 8650
    assert two.json["totals"] == {"payment": {"in": 0, "out": 800}, "topup": {"in": 2000, "out": 0}}
    assert two.json["closing_balance"] == api.wallet(alice)["balance"] == 9850
    assert balances_add_up(one.json) and balances_add_up(two.json)
    # and the month's history (from the 1st to the last day) holds exactly the rows it counts
    start = clock.now().replace(day=1)
    last_day = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert len(ids(api, alice, **{"from": start.date().isoformat(), "to": last_day.date().isoformat()})) == 2


def test_a_month_without_movements_carries_the_balance(api):
    alice = api.person(balance=700)
    later(api, 70 * 86_400, alice)

    body = statement(api, alice, month_of(clock.now())).json

    assert (body["opening_balance"], body["closing_balance"], body["totals"], body["count"]) == (700, 700, {}, 0)


def test_a_month_before_the_wallet_existed_is_all_zero(api):
    alice = api.person(balance=700)

    body = statement(api, alice, "2001-01").json

    assert (body["opening_balance"], body["closing_balance"], body["count"]) == (0, 0, 0)


def test_holds_count_only_when_captured_and_voids_not_at_all(app, api):
    # given Alice holds 400 for a shop, which captures 250, and a hold of 100 that is voided
    from app.merchant.services import merchant_account
    from app.wallet import holds
    alice = api.person(balance=1000)
    _owner, merchant = shop(app, api)
    with app.app_context():
        account = merchant_account(merchant["id"], "USD").id
        captured = holds.authorize(debit_id=alice.wallet_id, credit_id=account, amount=400, currency="USD",
                                   expires_in=600).id
        holds.capture(captured, 250)
        voided = holds.authorize(debit_id=alice.wallet_id, credit_id=account, amount=100, currency="USD",
                                 expires_in=600).id
        holds.void(voided)

    body = statement(api, alice, month_of(clock.now())).json

    # then only the capture moved money, and the statement still adds up
    assert body["totals"]["hold"] == {"in": 0, "out": 250}
    assert body["closing_balance"] == 750 and balances_add_up(body)
    assert body["count"] == 2  # the top-up and the capture


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01", "0000-01", "abcd-ef"])
def test_a_bad_month_is_422(api, month):
    alice = api.person(balance=100)

    assert_envelope(statement(api, alice, month), 422, "validation_error")


def test_someone_elses_statement_is_404(api):
    alice, bob = api.person(balance=100), api.person()

    assert_envelope(statement(api, bob, "2026-01", wallet_id=alice.wallet_id), 404, "not_found")

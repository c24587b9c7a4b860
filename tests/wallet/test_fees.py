"""Fees: the arithmetic (rounding half up, the minimum, never more than the amount), the posting's
copy of it, and the user's own fees (top-up: deducted; P2P: paid on top), each its own ledger line
into the fee revenue account."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db
from app.wallet.fee_rules import fee_amount, fee_returned_total
from tests.support.fees import fee_lines, recorded_fee, revenue, set_fee_settings


@pytest.mark.parametrize("amount, rate, minimum, fee", [
    (1000, 150, 0, 15),        # 1.5% of 10.00
    (1030, 150, 0, 15),        # 15.45 -> 15 (below half)
    (1033, 150, 0, 15),        # 15.495 -> 15
    (1034, 150, 0, 16),        # 15.51 -> 16
    (100, 50, 0, 1),           # 0.5 exactly -> 1: half rounds up
    (99, 50, 0, 0),            # 0.495 -> 0
    (1000, 150, 25, 25),       # the minimum when the rate gives less
    (10_000, 150, 25, 150),    # the rate when it gives more
    (10, 0, 25, 10),           # never more than the payment itself
    (10, 10_000, 0, 10),       # 100%: all of it
    (5000, 0, 0, 0),           # no rate, no minimum: no fee
    (0, 150, 25, 0),           # nothing charged on nothing
])
def test_the_fee_rounds_half_up_takes_the_minimum_and_never_exceeds_the_amount(amount, rate, minimum, fee):
    assert fee_amount(amount, rate, minimum) == fee


def test_the_posting_computes_the_same_fee_as_the_rules(app):
    cases = [(a, r, m) for a in (0, 1, 49, 50, 99, 100, 101, 1033, 1034, 123_457, 10**15)
             for r in (0, 1, 49, 50, 150, 9999, 10_000) for m in (0, 1, 25, 10**6)]
    with app.app_context():
        got = db.session.execute(text(
            "SELECT fee_amount(a, r::int, m) FROM unnest(CAST(:a AS bigint[]), CAST(:r AS int[]), CAST(:m AS bigint[]))"
            " WITH ORDINALITY AS t(a, r, m, n) ORDER BY n"),
            {"a": [c[0] for c in cases], "r": [c[1] for c in cases], "m": [c[2] for c in cases]}).scalars().all()
    assert got == [fee_amount(*c) for c in cases]


@pytest.mark.parametrize("fee, amount, refunds", [(15, 1000, [1000]), (15, 1000, [333, 333, 334]),
                                                  (7, 3, [1, 1, 1]), (25, 1000, [500, 500])])
def test_refunds_in_parts_return_exactly_the_fee_in_total(fee, amount, refunds):
    done, returned = 0, 0
    for part in refunds:
        done += part
        share = fee_returned_total(fee, amount, done) - returned
        assert share >= 0
        returned += share
    assert returned == fee


def test_a_top_up_fee_is_deducted_as_a_line_of_its_own(app, api):
    # given a user, and a top-up fee of 2% with a minimum of 0.30
    alice = api.person(name="Alice")
    set_fee_settings(app, topup_rate_bps=200, topup_min=30)

    # when she tops up 10.00
    answer = api.topup(alice, 1000).json

    # then the wallet grows by 10.00 - 0.30 (2% is 0.20, below the minimum)
    assert answer["fee"] == 30
    assert api.wallet(alice)["balance"] == 970
    line, = fee_lines(app, answer["id"])
    assert (line["type"], line["amount"], line["debit"]) == ("fee", 30, alice.wallet_id)
    assert line["credit"].startswith("acc_fee_revenue_usd.")
    assert revenue(app) == 30 and recorded_fee(app, answer["id"]) == 30
    # and her history shows the top-up and the fee as two rows, the fee against "Fees"
    rows = api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions", alice).json["data"]
    assert [(r["type"], r["amount"]) for r in rows] == [("fee", -30), ("topup", 1000)]
    assert rows[0]["counterparty"]["name"] == "Fees" and rows[1]["fee"] == 30
    assert api.verify_ledger() == []


def test_a_p2p_fee_is_paid_by_the_sender_on_top(app, api):
    alice, bob = api.person(name="Alice", balance=1000), api.person(name="Bob")
    set_fee_settings(app, p2p_rate_bps=100, p2p_min=5)

    response = api.transfer(alice, bob.phone, 600)

    assert response.status_code == 201, response.json
    assert response.json["fee"] == 6 and response.json["balance_after"] == 1000 - 606
    assert api.wallet(alice)["balance"] == 394 and api.wallet(bob)["balance"] == 600
    line, = fee_lines(app, response.json["id"])
    assert (line["debit"], line["amount"]) == (alice.wallet_id, 6)
    receipt = api.get(f"/api/v1/transactions/{response.json['id']}", alice).json
    assert receipt["fee"] == 6
    assert revenue(app) == 6 and api.verify_ledger() == []


def test_a_sender_who_cannot_pay_the_fee_too_is_refused_and_nothing_moves(app, api):
    alice, bob = api.person(name="Alice", balance=600), api.person(name="Bob")
    set_fee_settings(app, p2p_rate_bps=100, p2p_min=5)

    response = api.transfer(alice, bob.phone, 600)

    assert response.status_code == 402 and response.json["error"]["code"] == "insufficient_funds"
    assert api.wallet(alice)["balance"] == 600 and api.wallet(bob)["balance"] == 0
    assert revenue(app) == 0


def test_without_configured_fees_nothing_changes(app, api):
    alice, bob = api.person(name="Alice", balance=1000), api.person(name="Bob")
    response = api.transfer(alice, bob.phone, 600)
    assert response.json["fee"] == 0 and fee_lines(app, response.json["id"]) == []
    assert revenue(app) == 0

"""A terminal's first try and its retry of one charge, arriving at the same moment (PostgreSQL)."""
import uuid

from tests.support.payment_codes import customer
from tests.support.races import ROUNDS, together
from tests.support.terminals import make_terminal


def test_one_charge_sent_twice_at_once_with_one_key_charges_once(app, api):
    # given a customer's code and one Idempotency-Key per round
    terminal = make_terminal(api)
    buyer = customer(api, balance=10_000)
    for _ in range(ROUNDS):
        body = {"payment_code": buyer.code(), "amount": 300, "currency": "USD", "reference": "R1"}
        key = str(uuid.uuid4())

        # when both copies arrive together
        first, second = together(app, terminal, [("/api/v1/pos/charges", body, key),
                                                 ("/api/v1/pos/charges", body, key)])

        # then both get the same single charge (not payment_code_used for either)
        assert first.status_code == second.status_code == 201, (first.json, second.json)
        assert first.json == second.json
    assert api.wallet(buyer.person)["balance"] == 10_000 - ROUNDS * 300
    assert api.verify_ledger() == []

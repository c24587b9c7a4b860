"""Races on one authorization, on PostgreSQL (SQLite has one writer, so nothing races there):
two captures, a capture against a void, and one authorization sent twice with one key."""
from __future__ import annotations

import uuid

from tests.support.payment_codes import customer
from tests.support.races import ROUNDS, together
from tests.support.terminals import make_terminal

AUTHORIZATIONS = "/api/v1/pos/authorizations"


def outcome(response) -> tuple[int, str]:
    return response.status_code, (response.json.get("error", {}).get("code") or response.json["status"])


def test_two_captures_of_one_authorization_started_together_capture_once(app, api):
    # given a vending machine and a customer with 100.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    captured_total = 0
    for _ in range(ROUNDS):
        held = terminal.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json

        # when two captures of it (3.00 and 4.00) arrive at the same moment
        path = f"{AUTHORIZATIONS}/{held['id']}/capture"
        responses = together(app, terminal, [(path, {"amount": 300}, None), (path, {"amount": 400}, None)])

        # then exactly one is taken and the other is refused as already captured
        assert sorted(outcome(r) for r in responses) == [(200, "captured"), (409, "already_captured")]
        captured_total += 300 if responses[0].status_code == 200 else 400

    # and the wallet lost exactly the winning captures, with nothing left held
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (10_000 - captured_total, 0)
    assert api.verify_ledger() == []


def test_a_capture_racing_a_void_ends_in_exactly_one_of_them(app, api):
    # given a customer with 100.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    captured_total = 0
    for _ in range(ROUNDS):
        held = terminal.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json

        # when a capture and a void of one authorization arrive at the same moment
        base = f"{AUTHORIZATIONS}/{held['id']}"
        capture, void = together(app, terminal, [(f"{base}/capture", {"amount": 500}, None),
                                                 (f"{base}/void", None, None)])

        # then one wins and the other is refused with the code that says what happened
        assert sorted([outcome(capture), outcome(void)]) in (
            [(200, "captured"), (409, "already_captured")], [(200, "voided"), (409, "authorization_voided")])
        final = terminal.get(base).json["status"]
        assert final == ("captured" if capture.status_code == 200 else "voided")
        captured_total += 500 if capture.status_code == 200 else 0

    # and the wallet lost exactly what was captured, with nothing left held
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (10_000 - captured_total, 0)
    assert api.verify_ledger() == []


def test_one_authorization_sent_twice_at_once_with_one_key_holds_once(app, api):
    # given a customer's code and one Idempotency-Key
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    for _ in range(ROUNDS):
        body, key = {"payment_code": buyer.code(), "amount": 500}, str(uuid.uuid4())

        # when the machine's first try and its retry arrive together
        first, second = together(app, terminal, [(AUTHORIZATIONS, body, key), (AUTHORIZATIONS, body, key)])

        # then both get the one authorization
        assert first.status_code == second.status_code == 201, (first.json, second.json)
        assert first.json == second.json
    assert api.wallet(buyer.person)["held"] == ROUNDS * 500
    assert api.verify_ledger() == []


def test_a_capture_racing_a_batch_close_is_in_exactly_one_batch(app, api):
    # given a customer with 100.00
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    for _ in range(ROUNDS):
        held = terminal.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json

        # when a capture and a batch close arrive at the same moment, and the next batch closes after
        capture, closed = together(app, terminal, [(f"{AUTHORIZATIONS}/{held['id']}/capture", {"amount": 450}, None),
                                                   ("/api/v1/pos/batches/close", None, None)])
        following = terminal.post("/api/v1/pos/batches/close").json

        # then the capture counts once: in the batch that closed, or in the next one
        assert capture.status_code == 200 and closed.status_code == 201
        sales = [closed.json["totals"]["USD"]["sales"], following["totals"]["USD"]["sales"]]
        assert sorted(sales) == [0, 450]
    assert api.verify_ledger() == []

"""What one money-moving request sends to PostgreSQL (tests/support/statements.py): each of these
use cases is one call to its database function, with a bound on the statements around it
(authentication, the terminal's signature check, the store). The figures before and after the
move into SQL are in the README (Performance)."""
from __future__ import annotations

import uuid

import pytest

from tests.support.merchant_server import make_order, make_server, paid_order, refund_order
from app.qr.devices import scanning
from tests.support.payment_codes import PIN, charge, charged, phone_of, set_pin
from tests.support.qr import pay
from tests.support.statements import counted
from tests.support.terminals import make_terminal, refund_charge, shop_with_sale
import pytest as _pytest
from tests.support.env import NEEDS_REDIS_FOR_COUNTS, TEST_REDIS_URL

pytestmark = _pytest.mark.skipif(not TEST_REDIS_URL, reason=NEEDS_REDIS_FOR_COUNTS)

# (statements, round trips) at most, per request
# Before (run_once, ORM, ledger_post): topup 7 statements / 9 round trips, terminal refund 12 / 14,
# order refund 11 / 13, terminal reversal 12 / 13, paying a terminal's payment request 16 / 19 (the
# Python path after qr_pay's "not here"), a manual-capture one 14 / 17, an order's code 18 / 21. The rest around the one call: the caller's authentication (user, terminal,
# API key and merchant rows), and for a top-up the wallet read before the card is charged.
# A customer's approval of a large terminal charge took 16 statements / 19 round trips in Python's unit of work
# (single_flight's stored-answer read, the charge twice, the key, the wallet, the batch lock, the merchant account,
# the transaction, the event and its endpoints, ledger_post, the charge, the names, the answer); now the user (for
# the PIN hash), the charge's read (a stale approval costs no PIN attempt) and charge_confirm.
# Since reads outside a unit of work run in autocommit (app.core.read_session), the reads around the call cost one
# round trip each: no ROLLBACK after them (it was one more round trip for a top-up, a refund, a reversal, and two for
# a confirmation).
BOUNDS = {"charge_confirmation": (3, 3), "topup": (3, 3), "terminal_refund": (2, 2), "order_refund": (3, 3),
          "terminal_request_payment": (1, 1), "terminal_reversal": (2, 2), "terminal_manual_request_payment": (1, 1),
          "order_payment": (1, 1), "terminal_charge": (2, 2), "terminal_charge_bad_code": (2, 2)}
FIGURES: dict = {}
PAYMENT_FUNCTIONS = ("charge_confirm", "wallet_topup", "pos_give_back", "order_refund", "qr_pay", "pos_charge")


def _payment_calls(sent) -> list[str]:
    # "name(": the call is wrapped to carry the request id (app.core.request_ids), still one statement.
    return [s for s in sent.sql if any(f" {name}(" in s for name in PAYMENT_FUNCTIONS)]


def _record(name: str, sent) -> None:
    FIGURES[name] = (sent.statements, sent.round_trips)
    print(f"\n{name}: {sent.statements} statements, {sent.round_trips} round trips")
    for statement in sent.sql:
        print("   ", " ".join(statement.split())[:140])
    assert len(_payment_calls(sent)) == 1, sent.sql
    statements, round_trips = BOUNDS[name]
    assert sent.statements <= statements and sent.round_trips <= round_trips, sent.sql


def test_a_topup(app, api):
    alice = api.person(balance=100)
    with counted(app) as sent:
        response = api.post(f"/api/v1/wallets/{alice.wallet_id}/topups", alice,
                            json={"amount": 500, "source": "tok_visa"}, key=str(uuid.uuid4()))
    assert response.status_code == 201, response.json
    _record("topup", sent)


def test_a_terminal_refund(app, api):
    terminal, _, sale = shop_with_sale(api)
    with counted(app) as sent:
        response = refund_charge(terminal, sale["id"], 300)
    assert response.status_code == 201, response.json
    _record("terminal_refund", sent)


def test_an_order_refund(app, api):
    server, _, _, order = paid_order(app, api)
    with counted(app) as sent:
        response = refund_order(server, order["id"], 300)
    assert response.status_code == 201, response.json
    _record("order_refund", sent)


def test_paying_a_terminals_payment_request(app, api):
    terminal = make_terminal(api)
    payer = api.person(balance=5000)
    request = terminal.post("/api/v1/pos/payment-requests", json={"amount": 1250, "currency": "USD",
                                                                 "reference": "T1-0042"}).json
    with counted(app) as sent:
        response = pay(api, payer, request["payload"], key=str(uuid.uuid4()))
    assert response.status_code == 201, response.json
    _record("terminal_request_payment", sent)


def test_a_terminal_reversal(app, api):
    terminal, _, sale = shop_with_sale(api)
    with counted(app) as sent:
        response = terminal.post(f"/api/v1/pos/charges/{sale['id']}/reverse", key=str(uuid.uuid4()))
    assert response.status_code == 200, response.json
    _record("terminal_reversal", sent)


def test_paying_a_terminals_manual_capture_request(app, api):
    terminal = make_terminal(api)
    payer = api.person(balance=5000)
    request = terminal.post("/api/v1/pos/payment-requests", json={"amount": 1250, "currency": "USD",
                                                                  "reference": "T1-0043", "capture": "manual"}).json
    with counted(app) as sent:
        response = pay(api, payer, request["payload"], key=str(uuid.uuid4()))
    assert response.status_code == 201 and response.json["status"] == "authorized", response.json
    _record("terminal_manual_request_payment", sent)


def test_paying_an_orders_code(app, api):
    _, _, server = make_server(app, api)
    order = make_order(server, amount=1000)
    payer = api.person(balance=5000)
    with counted(app) as sent:
        response = pay(api, payer, order["payload"], key=str(uuid.uuid4()))
    assert response.status_code == 201, response.json
    _record("order_payment", sent)


def test_approving_a_large_terminal_charge(app, api):
    terminal = make_terminal(api)
    alice = api.person(balance=50_000)
    set_pin(api, alice)
    waiting = charged(terminal, phone_of(api, alice), 15_000)  # above NO_PIN_AMOUNT: waits for the PIN
    assert waiting["status"] == "requires_confirmation", waiting
    with counted(app) as sent:
        response = api.post(f"/api/v1/payments/{waiting['id']}/confirm", alice, json={"pin": PIN},
                            key=str(uuid.uuid4()))
    assert response.status_code == 200 and response.json["status"] == "succeeded", response.json
    _record("charge_confirmation", sent)


# A terminal's charge of a customer's code: the terminal's row (for the signature) with the code's
# device in the same statement, then pos_charge. The device was a round trip of its own whenever
# the process had not cached it (2.26 round trips per charge in the bench; nearly always 3 in a
# shop, where a phone is rarely seen twice by the same server process).
def test_a_terminal_charge_of_a_device_not_seen_before(app, api):
    terminal = make_terminal(api)
    code = phone_of(api, api.person(balance=5000)).code()
    scanning.forget_devices()  # the usual case: this process has not seen the customer's phone
    with counted(app) as sent:
        response = charge(terminal, code, 1000)
    assert response.status_code == 201 and response.json["status"] == "succeeded", response.json
    _record("terminal_charge", sent)


def test_a_terminal_charge_of_an_unknown_device(app, api):
    terminal = make_terminal(api)
    code = phone_of(api, api.person(balance=5000)).code()
    unknown = code[:2] + ("0000000" if code[2:9] != "0000000" else "0000001") + code[9:]
    with counted(app) as sent:  # no such handle: not read again after the terminal's statement
        response = charge(terminal, unknown, 1000)
    assert response.status_code == 402 and response.json["error"]["code"] == "payment_code_invalid", response.json
    _record("terminal_charge_bad_code", sent)


@pytest.fixture(autouse=True, scope="module")
def _summary():
    yield
    print("\nstatements, round trips per request:", FIGURES)

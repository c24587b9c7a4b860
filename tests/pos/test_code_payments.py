"""A scanned code pays once, in one database call (pos_charge, vending_authorize): concurrent
tills, a code used at a till then at a machine, what a refusal leaves behind, and retries."""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import text

from tests.support.payment_codes import balance, charge, customer, phone_of
from tests.support.qr import merchant_balance, payment_count
from tests.support.terminals import TerminalClient, make_terminal

AUTHORIZATIONS = "/api/v1/pos/authorizations"
TABLES = ("pos_charges", "transactions", "transfers", "entries", "webhook_events", "webhook_deliveries",
          "idempotency_records", "payment_codes_used")


def counts(app) -> dict[str, int]:
    from app.extensions import db
    with app.app_context():
        found = {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        found["payment.succeeded"] = db.session.execute(text(
            "SELECT count(*) FROM webhook_events WHERE type = 'payment.succeeded'")).scalar_one()
        db.session.rollback()
        return found


def tills(api, n: int) -> list[TerminalClient]:
    owner = api.person(name="Owner")
    first = make_terminal(api, owner=owner)
    return [first] + [make_terminal(api, owner=owner, merchant={"id": first.merchant_id}, label=f"Till {i + 2}")
                      for i in range(n - 1)]


def test_ten_tills_charging_one_code_at_once_charge_it_exactly_once(app, api):
    # given ten tills of one shop and a customer with 50.00 showing one code
    terminals = tills(api, 10)
    alice = api.person(balance=5000)
    code = phone_of(api, alice).code()
    barrier, responses = threading.Barrier(len(terminals)), [None] * len(terminals)

    def run(index: int, till: TerminalClient) -> None:
        own = TerminalClient(app.test_client(), till.terminal_id, till.secret, till.merchant_id)
        barrier.wait()
        responses[index] = own.post("/api/v1/pos/charges", {"payment_code": code, "amount": 700, "currency": "USD"})

    # when all ten charge it at the same moment
    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(terminals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then exactly one charge succeeds, the others are refused as used, and the money moved once
    outcomes = sorted((r.status_code, r.json.get("status") or r.json["error"]["code"]) for r in responses)
    assert outcomes == [(201, "succeeded")] + [(402, "payment_code_used")] * 9, outcomes
    assert balance(api, alice) == 4300 and merchant_balance(app, terminals[0].merchant_id) == 700
    assert payment_count(app) == 1 and counts(app)["payment_codes_used"] == 1
    assert api.verify_ledger() == []


def test_a_code_charged_at_a_till_is_refused_at_a_vending_machine(api):
    # given a shop with a till and a machine, and a code the till charged
    owner = api.person(name="Owner")
    till = make_terminal(api, owner=owner)
    machine = make_terminal(api, owner=owner, merchant={"id": till.merchant_id}, kind="vending", label="Machine")
    buyer = customer(api, balance=5000)
    code = buyer.code()
    assert charge(till, code, 100).status_code == 201

    # when the machine is shown the same code, then the till again
    held = machine.post(AUTHORIZATIONS, {"payment_code": code, "amount": 200})
    again = charge(till, code, 100)

    # then both are refused as used, and only the first charge moved money
    assert (held.status_code, held.json["error"]["code"]) == (402, "payment_code_used")
    assert (again.status_code, again.json["error"]["code"]) == (402, "payment_code_used")
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (4900, 0)


def test_a_charge_refused_before_the_code_writes_nothing_and_leaves_the_code_usable(app, api):
    # given a USD shop and a customer's code
    terminal = make_terminal(api)
    phone = phone_of(api, api.person(balance=5000))
    code, before = phone.code(), counts(app)

    # when the till charges it in a currency the shop lacks, with a key
    refused = charge(terminal, code, 100, currency="EUR", key=str(uuid.uuid4()))

    # then nothing at all was written: no charge, ledger line, event, stored answer or used code
    assert refused.status_code == 422 and refused.json["error"]["code"] == "currency_not_supported"
    assert counts(app) == before
    assert charge(terminal, code, 100).status_code == 201


def test_a_refused_charge_moves_nothing_and_records_only_its_failure(app, api):
    # given a customer with 3.00
    terminal = make_terminal(api)
    alice = api.person(balance=300)
    code, before = phone_of(api, alice).code(), counts(app)

    # when the till charges 5.00
    refused = charge(terminal, code, 500, key=str(uuid.uuid4()))

    # then no transaction, transfer, entry or payment.succeeded was written (the posting rolled
    # back to its savepoint); what remains is the failed charge, its payment.failed event, its
    # stored answer and the used code
    assert refused.status_code == 402 and refused.json["error"]["code"] == "insufficient_funds"
    after = counts(app)
    grown = {table: after[table] - before[table] for table in after}
    assert grown == {"pos_charges": 1, "transactions": 0, "transfers": 0, "entries": 0, "webhook_events": 1,
                     "webhook_deliveries": 0, "idempotency_records": 1, "payment_codes_used": 1,
                     "payment.succeeded": 0}
    recorded = terminal.get(f"/api/v1/pos/charges/{refused.json['error']['details']['charge_id']}").json
    assert (recorded["status"], recorded["failure_code"], recorded["transaction_id"]) == (
        "failed", "insufficient_funds", None)
    assert balance(api, alice) == 300 and api.verify_ledger() == []


def test_a_retried_vending_authorization_returns_the_first_answer_and_holds_once(app, api):
    # given an authorization made with a key
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=5000)
    body, key = {"payment_code": buyer.code(), "amount": 400}, str(uuid.uuid4())
    first = machine.post(AUTHORIZATIONS, body, key=key)
    assert first.status_code == 201, first.json

    # when the machine retries it, after its code has expired too
    from tests.support.auth import advance
    advance(app, 2 * app.config["PAYMENT_CODE_PERIOD"])
    retry = machine.post(AUTHORIZATIONS, body, key=key)

    # then it is the first answer, and one hold
    assert (retry.status_code, retry.json) == (201, first.json)
    assert api.wallet(buyer.person)["held"] == 400


def test_a_retried_charge_waiting_for_confirmation_returns_the_first_answer(app, api):
    # given a charge above the no-PIN amount, made with a key
    terminal = make_terminal(api)
    phone = phone_of(api, api.person(balance=50_000))
    body_amount, key, code = app.config["NO_PIN_AMOUNT"] + 1, str(uuid.uuid4()), phone.code()
    first = charge(terminal, code, body_amount, key=key)
    assert first.status_code == 201 and first.json["status"] == "requires_confirmation", first.json

    # when the till retries it
    retry = charge(terminal, code, body_amount, key=key)

    # then it is the same charge, still waiting, and what the till reads matches it
    assert (retry.status_code, retry.json) == (201, first.json)
    assert terminal.get(f"/api/v1/pos/charges/{first.json['id']}").json == first.json
    assert payment_count(app) == 0

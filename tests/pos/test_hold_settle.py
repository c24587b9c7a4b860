"""A hold's capture, void and expiry are one database call each (app/pos/sql/terminal_holds.sql):
races between them end in exactly one outcome, a refusal writes nothing, a retry with the same
key gets the first answer, and an expired hold is never captured."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select, text

from app.core import clock
from app.extensions import db
from app.merchant.services import merchant_account
from app.merchant.webhooks.models import WebhookEvent
from app.pos.charges.models import PosCharge
from app.wallet import ledger
from app.wallet.models import Entry, Transfer
from tests.support.payment_codes import customer
from tests.support.races import ROUNDS, together
from tests.support.terminals import make_terminal
from tests.support.webhooks import stored_events

AUTHORIZATIONS = "/api/v1/pos/authorizations"
# The sweeper's start after the capture's, by round: at 0 it wins nearly always (a signed request
# takes longer to reach the database), later the capture does, and in between they meet on the locks.
SWEEPER_DELAYS = (0, 0.005, 0.01, 0.02, 0.04)


def merchant_balance(app, merchant_id: str) -> int:
    with app.app_context():
        account = merchant_account(merchant_id, "USD").id
        return ledger.balance_with_buckets(account).balance


def written(app) -> tuple[int, ...]:
    """How many ledger and outbox rows exist: a refusal must add none."""
    with app.app_context():
        return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in (Transfer, Entry, WebhookEvent))


def test_ten_captures_and_voids_of_one_hold_at_once_end_in_exactly_one(app, api):
    # given a vending machine and a customer with 100.00
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    captured_total = 0
    for _ in range(ROUNDS):
        held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
        base = f"{AUTHORIZATIONS}/{held['id']}"

        # when five captures (of 101..105) and five voids of it arrive at the same moment
        calls = [(f"{base}/capture", {"amount": 101 + i}, None) for i in range(5)] + [(f"{base}/void", None, None)] * 5
        responses = together(app, machine, calls)
        captures, voids = responses[:5], responses[5:]

        # then either one capture won and everything else was refused as already captured,
        won = [r for r in captures if r.status_code == 200]
        if won:
            assert len(won) == 1, [r.json for r in responses]
            assert all((r.status_code, r.json["error"]["code"]) == (409, "already_captured")
                       for r in responses if r is not won[0])
            captured_total += won[0].json["captured_amount"]
        # or a void won, the other voids answer it as it stands and every capture is refused
        else:
            assert all((r.status_code, r.json["status"]) == (200, "voided") for r in voids)
            assert all((r.status_code, r.json["error"]["code"]) == (409, "authorization_voided") for r in captures)
        assert machine.get(base).json["status"] == ("captured" if won else "voided")

    # and the merchant was told once per hold, and the money is exact on both sides
    told = stored_events(app, "authorization.captured") + stored_events(app, "authorization.voided")
    assert len(told) == ROUNDS
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (10_000 - captured_total, 0)
    assert merchant_balance(app, machine.merchant_id) == captured_total
    assert api.verify_ledger() == []


def test_a_capture_racing_the_sweeper_ends_in_exactly_one_of_them(app, api):
    # given holds of a customer, and the sweeper's call for a moment past their expiry
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    captured_total = 0
    outcomes = []
    for round_ in range(ROUNDS * 2):
        held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
        with app.app_context():
            txn_id = db.session.get(PosCharge, held["id"]).transaction_id
        later = clock.now() + timedelta(seconds=3600)
        barrier, swept = threading.Barrier(2), []

        def sweep(delay: float = SWEEPER_DELAYS[round_ % len(SWEEPER_DELAYS)]):
            with app.app_context():
                barrier.wait()
                time.sleep(delay)
                with db.engine.connect() as connection:
                    swept.append(connection.execute(text("SELECT hold_expire(:t, :now, :trf, :msg)"), {
                        "t": txn_id, "now": later, "trf": f"trf_{uuid.uuid4().hex[:24]}",
                        "msg": f"msg_{uuid.uuid4().hex[:24]}"}).scalar_one())
                    connection.commit()

        # when the machine captures it at the moment the sweeper releases it
        sweeper = threading.Thread(target=sweep)
        sweeper.start()
        barrier.wait()
        response = machine.post(f"{AUTHORIZATIONS}/{held['id']}/capture", {"amount": 300})
        sweeper.join(timeout=30)

        # then exactly one of them happened
        outcomes.append(response.status_code)
        if response.status_code == 200:
            assert swept == [False]
            captured_total += 300
        else:
            assert swept == [True]
            assert (response.status_code, response.json["error"]["code"]) == (409, "authorization_voided")
        assert machine.get(f"{AUTHORIZATIONS}/{held['id']}").json["status"] == (
            "captured" if response.status_code == 200 else "expired")

    # and the merchant heard of each once, and the money is exact
    print("capture against sweeper, captures won:", outcomes.count(200), "of", len(outcomes))
    expired = len(stored_events(app, "authorization.expired"))
    assert expired + len(stored_events(app, "authorization.captured")) == ROUNDS * 2
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (10_000 - captured_total, 0)
    assert api.verify_ledger() == []


def test_an_over_capture_is_refused_and_writes_nothing(app, api):
    # given a hold of 5.00
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
    before, wallet_before = written(app), api.wallet(buyer.person)

    # when the machine captures 5.01
    response = machine.post(f"{AUTHORIZATIONS}/{held['id']}/capture", {"amount": 501}, key=str(uuid.uuid4()))

    # then it is refused with what was held, and no transfer, entry, event or balance changed
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "amount_exceeds_hold"
    assert response.json["error"]["details"] == {"held": 500, "requested": 501}
    assert written(app) == before
    assert api.wallet(buyer.person) == wallet_before
    with app.app_context():
        charge = db.session.get(PosCharge, held["id"])
        assert (charge.status, charge.captured_amount) == ("authorized", 0)
    # and the hold can still be captured in full
    assert machine.post(f"{AUTHORIZATIONS}/{held['id']}/capture", {"amount": 500}).status_code == 200


def test_a_capture_repeated_with_its_key_gets_the_first_answer_and_moves_nothing_again(app, api):
    # given a hold of 5.00, captured for 3.00 under a key
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
    key, path = str(uuid.uuid4()), f"{AUTHORIZATIONS}/{held['id']}/capture"
    first = machine.post(path, {"amount": 300}, key=key)
    assert first.status_code == 200, first.json
    after_first = written(app)

    # when the machine sends it again with the same key, and once more with another amount
    again = machine.post(path, {"amount": 300}, key=key)
    other = machine.post(path, {"amount": 200}, key=key)

    # then the retry gets the first answer and writes nothing; another request under it is refused
    assert (again.status_code, again.json) == (200, first.json)
    assert (other.status_code, other.json["error"]["code"]) == (409, "idempotency_conflict")
    assert written(app) == after_first
    assert api.wallet(buyer.person)["balance"] == 10_000 - 300
    assert len(stored_events(app, "authorization.captured")) == 1
    # and a new key gets the refusal that says it was captured
    assert machine.post(path, {"amount": 300}, key=str(uuid.uuid4())).json["error"]["code"] == "already_captured"


def test_an_expired_hold_cannot_be_captured_before_or_after_the_sweeper(app, api):
    # given a hold past its expiry
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=10_000)
    held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
    path = f"{AUTHORIZATIONS}/{held['id']}/capture"
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)
    before = written(app)

    # when the machine captures it before the sweeper ran, then after
    early = machine.post(path, {"amount": 100})
    assert written(app) == before
    assert "expired 1 hold(s)" in app.test_cli_runner().invoke(args=["ledger", "expire-holds"]).output
    late = machine.post(path, {"amount": 100})

    # then both are refused, and nothing was taken
    assert (early.status_code, early.json["error"]["code"]) == (410, "hold_expired")
    assert (late.status_code, late.json["error"]["code"]) == (409, "authorization_voided")
    wallet = api.wallet(buyer.person)
    assert (wallet["balance"], wallet["held"]) == (10_000, 0)
    assert machine.get(f"{AUTHORIZATIONS}/{held['id']}").json["status"] == "expired"
    assert api.verify_ledger() == []

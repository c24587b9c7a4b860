"""A hold released by expiry tells the merchant: `flask ledger expire-holds` emits
authorization.expired for a vending machine's authorization and for a terminal's manual-capture
payment request, in the release's own transaction, once."""
from __future__ import annotations

from sqlalchemy import text

from app.core import clock
from app.extensions import db
from tests.support.webhooks import Receiver, deliver, stored_events, subscribe
from tests.support.terminals import make_terminal
from tests.support.payment_codes import customer
from tests.support.qr import pay

EXPIRY_EVENTS = ["authorization.captured", "authorization.voided", "authorization.expired"]


def expire_holds(app) -> str:
    result = app.test_cli_runner().invoke(args=["ledger", "expire-holds"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_expired_vending_hold_and_manual_capture_request_each_tell_the_merchant_once(app, api, monkeypatch):
    # holds of 10 s: the receiver checks webhook-timestamp against its real clock (5 min tolerance)
    monkeypatch.setitem(app.config, "HOLD_EXPIRES_IN", 10)
    with Receiver() as receiver:
        # given a merchant listening for authorization events, with a vending machine and a till
        owner = api.person(name="Shop Owner")
        machine = make_terminal(api, owner=owner, kind="vending", label="V1")
        till = make_terminal(api, owner=owner, merchant={"id": machine.merchant_id}, label="Till 1")
        subscribe(api, owner, machine.merchant_id, receiver, EXPIRY_EVENTS)
        # a vending hold of 5.00 and a manual-capture request of 4.00 the customer paid, neither captured
        buyer = customer(api, balance=5000)
        held = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500,
                                                            "reference": "slot B4"}).json
        request = till.post("/api/v1/pos/payment-requests", {"amount": 400, "currency": "USD", "reference": "T1-9",
                                                             "capture": "manual"}).json
        assert pay(api, buyer.person, request["payload"]).status_code == 201
        clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)

        # when the sweeper releases them, and runs again
        assert "expired 2 hold(s)" in expire_holds(app)
        assert "expired 0 hold(s)" in expire_holds(app)

        # then the outbox holds one authorization.expired for each, and the merchant gets them signed
        assert len(stored_events(app, "authorization.expired")) == 2
        assert deliver(app) == 2
        by_key = {p["data"].get("authorization_id") or p["data"].get("payment_request_id"): p
                  for p in receiver.verified()}
        assert receiver.types() == ["authorization.expired"] * 2
        vending, manual = by_key[held["id"]], by_key[request["id"]]
        assert vending["data"] == {
            "authorization_id": held["id"], "merchant_id": machine.merchant_id, "terminal_id": machine.terminal_id,
            "transaction_id": vending["data"]["transaction_id"], "currency": "USD", "reference": "slot B4",
            "created_at": held["created_at"], "amount": 500, "authorized_amount": 500}
        assert vending["data"]["transaction_id"].startswith("txn_")
        assert manual["data"] == {
            "payment_request_id": request["id"], "merchant_id": till.merchant_id, "terminal_id": till.terminal_id,
            "transaction_id": manual["data"]["transaction_id"], "currency": "USD", "reference": "T1-9",
            "created_at": request["created_at"], "amount": 400, "authorized_amount": 400}
        assert till.get(f"/api/v1/pos/payment-requests/{request['id']}").json["status"] == "expired"
        assert api.wallet(buyer.person)["available"] == 5000


def test_a_captured_or_voided_hold_is_not_reported_as_expired(app, api):
    # given a captured and a voided vending hold, past their expiry
    owner = api.person(name="Shop Owner")
    machine = make_terminal(api, owner=owner, kind="vending")
    buyer = customer(api, balance=5000)
    first = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500}).json
    second = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 300}).json
    assert machine.post(f"/api/v1/pos/authorizations/{first['id']}/capture", {"amount": 200}).status_code == 200
    assert machine.post(f"/api/v1/pos/authorizations/{second['id']}/void").status_code == 200
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)

    # when the sweeper runs
    assert "expired 0 hold(s)" in expire_holds(app)

    # then nothing is announced as expired
    assert stored_events(app, "authorization.expired") == []


def test_a_release_that_fails_after_its_event_was_written_leaves_neither(app, api):
    # given a vending hold past its expiry, and an outbox that fails right after the event is written
    # (a trigger: the release, the row and the event are one statement, so all of it must go)
    machine = make_terminal(api, kind="vending")
    buyer = customer(api, balance=5000)
    machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500})
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)
    with app.app_context():
        db.session.execute(text(FAIL_AFTER_EVENT))
        db.session.commit()
    try:
        # when the sweeper runs and its release fails
        assert "expired 0 hold(s)" in expire_holds(app)
    finally:
        with app.app_context():
            db.session.execute(text("DROP TRIGGER fail_after_event ON webhook_events"))
            db.session.commit()

    # then no event exists for a release that never happened, and the money is still held
    assert stored_events(app) == []
    assert api.wallet(buyer.person)["held"] == 500
    # and the next run releases it, with its event
    assert "expired 1 hold(s)" in expire_holds(app)
    assert len(stored_events(app, "authorization.expired")) == 1
    assert api.wallet(buyer.person)["held"] == 0


FAIL_AFTER_EVENT = """
CREATE OR REPLACE FUNCTION fail_after_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'simulated failure after the event'; END $$;
CREATE TRIGGER fail_after_event AFTER INSERT ON webhook_events FOR EACH ROW EXECUTE FUNCTION fail_after_event();
"""

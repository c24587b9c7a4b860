"""Freezes through the API: who may set and lift them, what each scope stops, expiry, and the
audit record. The posting's own check is in app/wallet/sql/freezes.sql; races are in
test_freeze_race.py, terminals and holds in tests/pos/test_freezes_at_terminals.py."""
from datetime import timedelta

import pytest

from app.core import clock
from tests.support.freezes import (ADMIN_FREEZES, MY_FREEZES, error_of, freeze, freeze_mine, lift, lift_mine,
                                   refresh)
from tests.support.operators import audit_records, make_operator
from tests.support.payment_codes import PIN, set_pin
from tests.support.qr import make_code, make_merchant, pay


def test_a_debits_freeze_stops_money_going_out_and_lets_it_come_in(app, api):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person(balance=5_000)

    body = freeze(api, support, alice, wallet_id=alice.wallet_id, scope="debits", reason="fraud suspected").json

    assert body["set_by"] == "operator" and body["scope"] == "debits" and body["lifted_at"] is None
    assert error_of(api.transfer(alice, bob.wallet_id, 100)) == (403, "wallet_frozen")
    assert api.transfer(bob, alice.wallet_id, 700).status_code == 201  # money still comes in
    api.topup(alice, 300)
    assert api.wallet(alice)["balance"] == 6_000 and api.wallet(bob)["balance"] == 4_300
    assert api.wallet(alice)["frozen"] == {"scope": "debits", "ends_at": None}
    assert api.wallet(bob)["frozen"] is None
    assert api.verify_ledger() == []


def test_an_all_freeze_stops_money_coming_in_too(app, api):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person(balance=5_000)
    freeze(api, support, alice, scope="all")

    assert error_of(api.transfer(bob, alice.wallet_id, 700)) == (403, "recipient_frozen")
    top_up = api.post(f"/api/v1/wallets/{alice.wallet_id}/topups", alice, json={"amount": 100, "source": "tok_visa"},
                      key="k-frozen-topup")
    assert error_of(top_up) == (403, "wallet_frozen")  # refused before the card is charged
    assert error_of(api.transfer(alice, bob.wallet_id, 100)) == (403, "wallet_frozen")
    assert api.wallet(alice)["balance"] == 5_000 and api.wallet(bob)["balance"] == 5_000
    assert api.get("/api/v1/wallets", alice).json["data"][0]["frozen"] == {"scope": "all", "ends_at": None}


def test_a_freeze_of_the_user_covers_every_wallet_and_one_of_a_wallet_only_that_one(app, api):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person(balance=5_000)
    euros = api.post("/api/v1/wallets", alice, json={"currency": "EUR"}).json["id"]
    api.topup(alice, 1_000, wallet_id=euros)
    bob_euros = api.post("/api/v1/wallets", bob, json={"currency": "EUR"}).json["id"]

    one = freeze(api, support, alice, wallet_id=euros, scope="debits").json
    assert api.transfer(alice, bob.wallet_id, 100).status_code == 201  # the USD wallet is not covered
    assert error_of(api.transfer(alice, bob_euros, 100, currency="EUR")) == (403, "wallet_frozen")

    lift(api, support, one["id"])
    freeze(api, support, alice, scope="debits")  # wallet_id null: every wallet
    assert error_of(api.transfer(alice, bob.wallet_id, 100)) == (403, "wallet_frozen")
    assert error_of(api.transfer(alice, bob_euros, 100, currency="EUR")) == (403, "wallet_frozen")


def test_a_freeze_with_an_end_stops_applying_by_itself(app, api):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person()
    ends = clock.now() + timedelta(hours=2)
    body = freeze(api, support, alice, scope="debits", ends_at=ends.isoformat()).json
    assert error_of(api.transfer(alice, bob.wallet_id, 100)) == (403, "wallet_frozen")
    assert api.get(f"{ADMIN_FREEZES}?active=true&user_id={alice.id}", support).json["data"][0]["id"] == body["id"]

    clock.advance(2 * 3600 + 1)
    refresh(api, alice, support)

    assert api.transfer(alice, bob.wallet_id, 100).status_code == 201  # nobody lifted it: it ended
    assert api.wallet(alice)["frozen"] is None
    assert api.get(f"{ADMIN_FREEZES}?active=true&user_id={alice.id}", support).json["data"] == []
    assert [f["id"] for f in api.get(f"{ADMIN_FREEZES}?active=false", support).json["data"]] == [body["id"]]


def test_a_user_freezes_their_own_wallet_and_lifts_it_with_the_pin_and_a_fresh_sign_in(app, api):
    alice, bob = api.person(balance=5_000), api.person()
    set_pin(api, alice)
    body = freeze_mine(api, alice, wallet_id=alice.wallet_id, scope="all").json
    assert body["set_by"] == "user" and body["user_id"] == alice.id
    assert error_of(api.transfer(alice, bob.wallet_id, 100)) == (403, "wallet_frozen")
    assert [f["id"] for f in api.get(MY_FREEZES, alice).json["data"]] == [body["id"]]

    assert error_of(lift_mine(api, alice, body["id"], "000000")) == (403, "pin_invalid")
    lifted = lift_mine(api, alice, body["id"], PIN)

    assert lifted.status_code == 200, lifted.json
    assert lifted.json["lifted_at"] is not None
    assert api.transfer(alice, bob.wallet_id, 100).status_code == 201
    assert error_of(lift_mine(api, alice, body["id"], PIN)) == (409, "freeze_not_active")
    actions = [r["action"] for r in audit_records(app, object_id=alice.wallet_id)]
    assert sorted(actions) == ["freeze.lift", "freeze.set"]


def test_lifting_ones_own_freeze_needs_a_sign_in_of_the_last_minutes(app, api):
    alice = api.person(balance=5_000)
    set_pin(api, alice)
    body = freeze_mine(api, alice).json
    clock.advance(app.config["FRESH_SIGN_IN_SECONDS"] + 10)
    # a refreshed token is still the old sign-in: refreshing does not make it fresh
    refresh(api, alice)

    assert error_of(lift_mine(api, alice, body["id"], PIN)) == (403, "fresh_sign_in_required")
    assert api.get(MY_FREEZES, alice).json["data"][0]["lifted_at"] is None

    signed_in = api.client.post("/api/v1/auth/login", json={"identifier": alice.identifier, "password": alice.password})
    assert signed_in.status_code == 200, signed_in.json
    alice.tokens = signed_in.json
    assert lift_mine(api, alice, body["id"], PIN).status_code == 200


def test_a_user_cannot_lift_an_operators_freeze(app, api):
    support = make_operator(app, api, "support")
    alice = api.person(balance=5_000)
    set_pin(api, alice)
    body = freeze(api, support, alice).json

    assert error_of(lift_mine(api, alice, body["id"], PIN)) == (403, "freeze_set_by_operator")
    assert api.get(MY_FREEZES, alice).json["data"][0]["lifted_at"] is None
    assert lift(api, support, body["id"]).status_code == 200


def test_an_operator_lifts_a_users_freeze_once_and_it_is_audited(app, api):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person()
    body = freeze_mine(api, alice, scope="debits").json

    lifted = lift(api, support, body["id"], reason="owner called, identity checked")

    assert lifted.status_code == 200 and lifted.json["lift_reason"] == "owner called, identity checked"
    assert api.transfer(alice, bob.wallet_id, 100).status_code == 201
    assert error_of(lift(api, support, body["id"])) == (409, "freeze_not_active")
    record, = [r for r in audit_records(app, object_id=alice.id) if r["action"] == "freeze.lift"]
    assert record["actor_id"] == support.id and record["actor_type"] == "operator"
    assert record["before"]["frozen"] == {"scope": "debits", "ends_at": None} and record["after"]["frozen"] is None
    assert record["reason"] == "owner called, identity checked"
    set_record, = [r for r in audit_records(app, object_id=alice.id) if r["action"] == "freeze.set"]
    assert set_record["actor_type"] == "user" and set_record["before"] == {"frozen": None}


def test_another_users_wallet_or_freeze_is_a_404(app, api):
    alice, mallory = api.person(balance=5_000), api.person()
    body = freeze_mine(api, alice).json
    set_pin(api, mallory)

    assert freeze_mine(api, mallory, wallet_id=alice.wallet_id, expect=404)
    assert error_of(lift_mine(api, mallory, body["id"], PIN)) == (404, "not_found")
    assert api.get(MY_FREEZES, mallory).json["data"] == []


def test_operator_freezes_need_support_or_admin(app, api):
    admin = make_operator(app, api, "admin")
    finance = make_operator(app, api, "finance", admin=admin)
    alice = api.person(balance=5_000)

    assert error_of(freeze(api, alice, alice, expect=None)) == (403, "not_an_operator")
    assert error_of(freeze(api, finance, alice, expect=None)) == (403, "role_not_allowed")
    assert api.get(ADMIN_FREEZES, alice).status_code == 403
    body = freeze(api, admin, alice).json
    assert error_of(lift(api, finance, body["id"])) == (403, "role_not_allowed")
    assert api.get(ADMIN_FREEZES, finance).json["data"][0]["id"] == body["id"]  # any operator reads


@pytest.mark.parametrize("change", [{"scope": "some"}, {"reason": ""}, {"reason": "x" * 501},
                                    {"ends_at": "2020-01-01T00:00:00+00:00"}, {"ends_at": "2099-01-01T00:00:00"},
                                    {"wallet_id": "wal_nobody"}, {"user_id": "usr_nobody"}, {"extra": 1}])
def test_bad_input_is_refused_and_writes_nothing(app, api, change):
    support = make_operator(app, api, "support")
    alice, bob = api.person(balance=5_000), api.person()
    body = {"user_id": alice.id, "wallet_id": None, "scope": "all", "reason": "test", "ends_at": None, **change}

    response = api.post(ADMIN_FREEZES, support, json=body)

    assert response.status_code in (404, 422), response.json
    assert api.get(ADMIN_FREEZES, support).json["data"] == []
    assert api.transfer(alice, bob.wallet_id, 100).status_code == 201


def test_a_frozen_user_cannot_pay_a_shops_qr_code_and_the_code_stays_payable(app, api):
    admin = make_operator(app, api, "admin")
    owner, alice, bob = api.person(name="Owner"), api.person(balance=5_000), api.person(balance=5_000)
    merchant = make_merchant(app, api, owner=owner, admin=admin)
    code = make_code(api, owner, merchant, amount=1_250)
    freeze(api, admin, alice, scope="debits")

    refused = pay(api, alice, code["payload"], key="k-frozen-qr")

    assert error_of(refused) == (403, "wallet_frozen")
    assert api.wallet(alice)["balance"] == 5_000
    assert pay(api, bob, code["payload"], key="k-bob-qr").status_code == 201  # nothing was used up

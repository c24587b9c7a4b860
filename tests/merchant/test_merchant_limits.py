"""A merchant's own limits (app/merchant/limits.py, app/merchant/sql/merchant_limits.sql): the
largest single charge and the day's refund total, set by the owner or an admin operator, read by
its staff, checked inside the payment functions, raced on PostgreSQL."""
from __future__ import annotations

import uuid

from tests.support.payment_codes import balance, charge, charged, customer, phone_of
from tests.support.qr import create_code, make_admin, merchant_balance, pay
from tests.support.races import together
from tests.support.terminals import make_terminal


def limits_path(merchant_id: str) -> str:
    return f"/api/v1/merchants/{merchant_id}/limits"


def set_limits(api, owner, merchant_id: str, **limits):
    response = api.client.put(limits_path(merchant_id), headers=owner.auth, json=limits)
    assert response.status_code == 200, response.json
    return response.json


def test_the_owner_sets_them_staff_read_them_and_nobody_else_may(app, api):
    owner = api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner)
    merchant_id = terminal.merchant_id
    cashier, stranger = api.person(name="Cashier"), api.person(name="Stranger")
    assert api.post(f"/api/v1/merchants/{merchant_id}/staff", owner,
                    json={"identifier": cashier.identifier, "role": "cashier"}).status_code == 201

    fresh = api.get(limits_path(merchant_id), cashier).json
    assert (fresh["max_charge"], fresh["daily_refunds"], fresh["refunds_today"]["used"]) == (None, None, 0)

    out = set_limits(api, owner, merchant_id, max_charge=20_000, daily_refunds=5_000)
    assert (out["max_charge"], out["daily_refunds"], out["currency"]) == (20_000, 5_000, "USD")
    assert api.get(limits_path(merchant_id), cashier).json["refunds_today"]["left"] == 5_000

    denied = api.client.put(limits_path(merchant_id), headers=cashier.auth, json={"max_charge": 1})
    assert denied.status_code == 403 and denied.json["error"]["code"] == "role_not_allowed"
    assert api.get(limits_path(merchant_id), stranger).status_code == 404
    assert api.client.put(limits_path(merchant_id), headers=stranger.auth, json={"max_charge": 1}).status_code == 404
    for bad in ({"max_charge": -1}, {"max_charge": 10.5}, {"daily_refunds": "100"}, {"fee": 1}):
        response = api.client.put(limits_path(merchant_id), headers=owner.auth, json=bad)
        assert response.status_code == 422, (bad, response.json)
    # an admin operator may set them; a plain user at the admin path may not
    admin_path = f"/api/v1/admin/merchants/{merchant_id}/limits"
    assert api.client.put(admin_path, headers=owner.auth, json={"max_charge": 1}).status_code == 403
    by_admin = api.client.put(admin_path, headers=make_admin(app, api).auth, json={"daily_refunds": 100})
    assert by_admin.status_code == 200 and (by_admin.json["max_charge"], by_admin.json["daily_refunds"]) == (None, 100)
    assert api.get(limits_path(merchant_id), owner).json["daily_refunds"] == 100


def test_a_charge_above_the_largest_is_refused_before_the_code_is_used(app, api):
    owner = api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner)
    set_limits(api, owner, terminal.merchant_id, max_charge=1_000)
    alice = api.person(name="Alice", balance=5_000)
    code = phone_of(api, alice).code()

    refused = charge(terminal, code, 1_001)
    assert refused.status_code == 402, refused.json
    assert refused.json["error"]["code"] == "limit_exceeded"
    assert refused.json["error"]["details"] == {"limit": "merchant_max_charge", "limit_amount": 1_000,
                                                "remaining": 1_000, "currency": "USD", "resets_at": None}
    # nothing moved and the customer's code is still good for a charge within the limit
    assert balance(api, alice) == 5_000
    assert charge(terminal, code, 1_000).status_code == 201
    assert balance(api, alice) == 4_000


def test_vending_and_qr_payments_above_the_largest_are_refused(app, api):
    owner = api.person(name="Shop Owner")
    machine = make_terminal(api, owner=owner, kind="vending")
    set_limits(api, owner, machine.merchant_id, max_charge=500)
    buyer = customer(api, balance=5_000)
    held = machine.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 501})
    assert held.status_code == 402 and held.json["error"]["details"]["limit"] == "merchant_max_charge", held.json

    merchant = {"id": machine.merchant_id}
    static = create_code(api, owner, merchant, kind="static", currency="USD")
    assert static.status_code == 201, static.json
    paid = pay(api, buyer.person, static.json["payload"], amount=501, key=str(uuid.uuid4()))
    assert paid.status_code == 402 and paid.json["error"]["code"] == "limit_exceeded", paid.json
    assert paid.json["error"]["details"]["limit"] == "merchant_max_charge"
    assert pay(api, buyer.person, static.json["payload"], amount=500).status_code == 201
    assert merchant_balance(app, machine.merchant_id) == 500


def test_refunds_at_once_never_pass_the_daily_total(app, api):
    # given eight sales of 10.00 on one merchant whose refunds may total 25.00 a day
    owner = api.person(name="Shop Owner")
    terminal = make_terminal(api, owner=owner)
    phone = phone_of(api, api.person(name="Alice", balance=10_000))
    sales = [charged(terminal, phone, 1_000) for _ in range(8)]
    set_limits(api, owner, terminal.merchant_id, daily_refunds=2_500)

    # when eight tills refund 5.00 of a different sale each at the same moment
    responses = together(app, terminal, [(f"/api/v1/pos/charges/{sale['id']}/refunds", {"amount": 500},
                                          str(uuid.uuid4())) for sale in sales])

    # then five pass (25.00) and three are refused with nothing left: never more than the limit
    passed = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(passed) == 5, [r.json for r in responses]
    assert {(r.status_code, r.json["error"]["code"]) for r in refused} == {(402, "limit_exceeded")}
    assert all(r.json["error"]["details"]["limit"] == "merchant_daily_refunds"
               and r.json["error"]["details"]["remaining"] == 0 for r in refused)
    assert merchant_balance(app, terminal.merchant_id) == 8_000 - 2_500
    today = api.get(limits_path(terminal.merchant_id), owner).json["refunds_today"]
    assert (today["used"], today["left"]) == (2_500, 0)
    assert api.verify_ledger() == []


def test_an_order_refund_counts_in_the_same_daily_total(app, api):
    from tests.support.merchant_server import paid_order, refund_order
    server, merchant, _, order = paid_order(app, api, 1_000)
    admin = make_admin(app, api)
    assert api.client.put(f"/api/v1/admin/merchants/{merchant['id']}/limits", headers=admin.auth,
                          json={"daily_refunds": 300}).status_code == 200
    assert refund_order(server, order["id"], 300).status_code == 201
    refused = refund_order(server, order["id"], 1)
    assert refused.status_code == 402 and refused.json["error"]["details"]["limit"] == "merchant_daily_refunds"
    assert refused.json["error"]["message"] == "this would pass the merchant's daily refund total"

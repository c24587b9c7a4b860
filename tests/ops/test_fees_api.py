"""Fee configuration through the operator API: finance only, whole non-negative numbers only, an
audit record per change, and the next payment charged by the new rate."""
from __future__ import annotations

import uuid

import pytest

from tests.support.fees import revenue
from tests.support.operators import audit_records, make_operator
from tests.support.qr import make_code, make_merchant, pay
from tests.support.terminals import make_terminal


def put(api, person, path: str, body: dict):
    return api.client.put(path, headers=person.auth, json=body)


def merchant_fees(api, person, merchant_id: str, body: dict):
    return put(api, person, f"/api/v1/admin/merchants/{merchant_id}/fees", body)


def test_finance_sets_a_merchants_rate_the_change_is_audited_and_the_next_payment_pays_it(app, api):
    finance = make_operator(app, api, "finance")
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency="USD")

    response = merchant_fees(api, finance, merchant["id"], {"rate_bps": 150, "min_fee": 10, "reason": "contract 7"})

    assert response.status_code == 200, response.json
    assert response.json == {"merchant_id": merchant["id"], "rate_bps": 150, "min_fee": 10,
                             "refund_returns_fee": None}
    assert api.get(f"/api/v1/admin/merchants/{merchant['id']}/fees", finance).json == response.json
    record, = [r for r in audit_records(app, object_id=merchant["id"]) if r["action"] == "merchant.fees"]
    assert record["actor_id"] == finance.id and record["reason"] == "contract 7"
    assert (record["before"]["rate_bps"], record["after"]["rate_bps"]) == (0, 150)

    payer = api.person(name="Payer", balance=5000)
    paid = pay(api, payer, make_code(api, owner, merchant, amount=2000)["payload"], key=str(uuid.uuid4()))
    assert paid.json["fee"] == 30 and revenue(app) == 30


def test_finance_sets_the_global_fees_audited(app, api):
    finance = make_operator(app, api, "finance")
    body = {"topup_rate_bps": 100, "topup_min_fee": 0, "p2p_rate_bps": 0, "p2p_min_fee": 5,
            "refund_returns_fee": True}

    response = put(api, finance, "/api/v1/admin/fees", body | {"reason": "price list 2027"})

    assert response.status_code == 200 and response.json == body
    assert api.get("/api/v1/admin/fees", finance).json == body
    record, = [r for r in audit_records(app, object_id="global") if r["action"] == "fees.settings"]
    assert record["after"] == body and record["before"]["topup_rate_bps"] == 0
    alice = api.person(name="Alice")
    assert api.topup(alice, 1000).json["fee"] == 10


@pytest.mark.parametrize("role", ["support", "admin"])
def test_other_operators_may_read_but_not_change_fees(app, api, role):
    operator = make_operator(app, api, role)
    merchant = make_merchant(app, api, owner=api.person(name="Owner"))
    assert api.get(f"/api/v1/admin/merchants/{merchant['id']}/fees", operator).status_code == 200
    for response in (merchant_fees(api, operator, merchant["id"], {"rate_bps": 150}),
                     put(api, operator, "/api/v1/admin/fees", {"p2p_rate_bps": 10})):
        assert response.status_code == 403 and response.json["error"]["code"] == "role_not_allowed"
    assert api.get(f"/api/v1/admin/merchants/{merchant['id']}/fees", operator).json["rate_bps"] == 0


def test_users_and_merchant_staff_get_403(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    for person in (owner, api.person(name="Somebody")):
        response = merchant_fees(api, person, merchant["id"], {"rate_bps": 150})
        assert response.status_code == 403 and response.json["error"]["code"] == "not_an_operator"


@pytest.mark.parametrize("body", [{"rate_bps": -1}, {"rate_bps": 1.5}, {"rate_bps": 150.0}, {"rate_bps": "150"},
                                  {"rate_bps": 10_001}, {"rate_bps": 100, "min_fee": -5},
                                  {"rate_bps": 100, "min_fee": 2.5}, {"rate_bps": None}, {}])
def test_a_negative_fractional_or_out_of_range_rate_is_422_and_changes_nothing(app, api, body):
    finance = make_operator(app, api, "finance")
    merchant = make_merchant(app, api, owner=api.person(name="Owner"))

    response = merchant_fees(api, finance, merchant["id"], body)

    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    assert api.get(f"/api/v1/admin/merchants/{merchant['id']}/fees", finance).json["rate_bps"] == 0
    assert [r for r in audit_records(app, object_id=merchant["id"]) if r["action"] == "merchant.fees"] == []


@pytest.mark.parametrize("body", [{"topup_rate_bps": -1}, {"p2p_min_fee": 0.5}, {"refund_returns_fee": "yes"}])
def test_bad_global_settings_are_422(app, api, body):
    finance = make_operator(app, api, "finance")
    response = put(api, finance, "/api/v1/admin/fees", body)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    assert api.get("/api/v1/admin/fees", finance).json["topup_rate_bps"] == 0


def test_an_unknown_merchant_is_404(app, api):
    finance = make_operator(app, api, "finance")
    assert merchant_fees(api, finance, "mer_nobody", {"rate_bps": 1}).status_code == 404
    make_terminal(api)  # a merchant exists; another id is still unknown
    assert api.get("/api/v1/admin/merchants/mer_nobody/fees", finance).status_code == 404

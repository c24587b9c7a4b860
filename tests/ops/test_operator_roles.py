"""Operator roles (app.auth.operator_roles): who may call which operator endpoint, role by role."""
import pytest

from tests.support.operators import audit_records, grant, make_operator

# Every operator endpoint, the right it needs, and a request that passes the role check.
# The role check comes before anything else a request could fail on, so a role without the right
# gets 403 role_not_allowed and one with it gets anything else.
ENDPOINTS = [
    ("GET", "/api/v1/admin/operators", None, "read"),
    ("POST", "/api/v1/admin/operators", {"identifier": "nobody@example.com", "role": "support"}, "operators"),
    ("DELETE", "/api/v1/admin/operators/usr_nobody/roles/support", None, "operators"),
    ("GET", "/api/v1/admin/adjustments", None, "read"),
    ("GET", "/api/v1/admin/adjustments/adj_nobody", None, "read"),
    ("POST", "/api/v1/admin/adjustments", {"wallet_id": "wal_nobody", "direction": "credit", "amount": 100,
                                           "currency": "USD", "reason": "test", "reference": "R1"}, "adjustments"),
    ("POST", "/api/v1/admin/adjustments/adj_nobody/approve", {}, "adjustments"),
    ("POST", "/api/v1/admin/adjustments/adj_nobody/reject", {}, "adjustments"),
    ("GET", "/api/v1/admin/audit", None, "read"),
    ("POST", "/api/v1/admin/merchants", {"name": "Shop", "city": "Zürich", "country": "CH", "mcc": "5814",
                                         "currency": "USD", "owner": "nobody@example.com"}, "configuration"),
    ("GET", "/api/v1/admin/tiers", None, "read"),
    ("PUT", "/api/v1/admin/tiers/roles_test", {**dict.fromkeys(("max_payment", "daily_out", "monthly_out", "max_balance",
                                                              "max_topup", "offline_allowance"), 100),
                                               "reason": "test"}, "configuration"),
    ("PUT", "/api/v1/admin/users/usr_nobody/tier", {"tier": "verified", "reason": "test"}, "configuration"),
]
ALLOWED = {"read": {"support", "finance", "admin"}, "adjustments": {"finance"}, "operators": {"admin"},
           "configuration": {"admin"}}


def call(api, person, method, path, body):
    headers = person.auth if person else {}
    return api.client.open(path, method=method, headers=headers, json=body)


@pytest.mark.parametrize("role", ["support", "finance", "admin"])
def test_each_role_reaches_exactly_the_endpoints_its_rights_allow(app, api, role):
    # given an operator holding only `role`
    operator = make_operator(app, api, role)
    for method, path, body, right in ENDPOINTS:
        # when they call each operator endpoint
        response = call(api, operator, method, path, body)
        # then the roles with the right pass the check, the others are 403 role_not_allowed
        if role in ALLOWED[right]:
            assert response.json is None or response.json.get("error", {}).get("code") != "role_not_allowed", path
            assert response.status_code != 403, (path, response.json)
        else:
            assert response.status_code == 403, path
            assert response.json["error"]["code"] == "role_not_allowed", path
            assert response.json["error"]["details"]["allowed_roles"] == sorted(ALLOWED[right])


def test_a_plain_user_gets_not_an_operator_on_every_operator_endpoint(app, api):
    user = api.person(name="Mallory", balance=1000)
    for method, path, body, _ in ENDPOINTS:
        response = call(api, user, method, path, body)
        assert response.status_code == 403, path
        assert response.json["error"]["code"] == "not_an_operator", path


def test_a_merchant_api_key_gets_not_an_operator_on_every_operator_endpoint(app, api):
    from tests.support.qr import make_merchant
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    key = api.post(f"/api/v1/merchants/{merchant['id']}/api-keys", owner, json={"name": "server"}).json["key"]
    for method, path, body, _ in ENDPOINTS:
        response = api.client.open(path, method=method, headers={"Authorization": f"Bearer {key}"}, json=body)
        assert response.status_code == 403, path
        assert response.json["error"]["code"] == "not_an_operator", path


def test_no_token_is_401_on_operator_endpoints(app, api):
    for method, path, body, _ in ENDPOINTS:
        assert call(api, None, method, path, body).status_code == 401, path


def test_an_admin_grants_a_role_and_the_grant_is_audited(app, api):
    admin = make_operator(app, api, "admin")
    person = api.person(name="Fiona")
    response = grant(api, admin, person, "finance", reason="joins the finance desk")
    assert response.status_code == 201
    assert response.json["roles"] == ["finance"]
    listed = {o["user_id"]: o["roles"] for o in api.get("/api/v1/admin/operators", admin).json["data"]}
    assert listed[person.id] == ["finance"] and listed[admin.id] == ["admin"]
    [record] = audit_records(app, action="operator.grant")
    assert (record["actor_id"], record["object_id"]) == (admin.id, person.id)
    assert record["before"] == {"roles": []} and record["after"] == {"roles": ["finance"]}
    assert record["reason"] == "joins the finance desk"
    # and the same role twice is a conflict that writes nothing
    assert grant(api, admin, person, "finance").json["error"]["code"] == "already_exists"
    assert len(audit_records(app, action="operator.grant")) == 1


def test_roles_add_up(app, api):
    admin = make_operator(app, api, "admin")
    person = api.person(name="Both")
    grant(api, admin, person, "support")
    assert grant(api, admin, person, "finance").json["roles"] == ["finance", "support"]
    assert api.get("/api/v1/admin/adjustments", person).status_code == 200


def test_granting_to_an_unknown_or_unverified_person_is_422(app, api):
    admin = make_operator(app, api, "admin")
    stranger = api.person(name="Unverified", verified=False)
    for identifier in ("nobody@example.com", stranger.identifier):
        response = api.post("/api/v1/admin/operators", admin, json={"identifier": identifier, "role": "finance"})
        assert response.status_code == 422
    assert api.post("/api/v1/admin/operators", admin, json={"identifier": stranger.identifier,
                                                            "role": "superuser"}).status_code == 422


def test_a_revoked_role_stops_working_at_the_next_request(app, api):
    admin = make_operator(app, api, "admin")
    finance = make_operator(app, api, "finance", admin=admin)
    assert api.get("/api/v1/admin/adjustments", finance).status_code == 200
    response = api.client.delete(f"/api/v1/admin/operators/{finance.id}/roles/finance", headers=admin.auth)
    assert response.status_code == 204
    assert api.get("/api/v1/admin/adjustments", finance).json["error"]["code"] == "not_an_operator"
    [record] = audit_records(app, action="operator.revoke")
    assert record["before"] == {"roles": ["finance"]} and record["after"] == {"roles": []}


def test_revoking_a_role_nobody_holds_is_404(app, api):
    admin = make_operator(app, api, "admin")
    response = api.client.delete(f"/api/v1/admin/operators/{admin.id}/roles/finance", headers=admin.auth)
    assert response.status_code == 404


def test_the_last_admin_keeps_the_role(app, api):
    admin = make_operator(app, api, "admin")
    response = api.client.delete(f"/api/v1/admin/operators/{admin.id}/roles/admin", headers=admin.auth)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    # with a second admin, one may go
    other = api.person(name="Second")
    grant(api, admin, other, "admin")
    assert api.client.delete(f"/api/v1/admin/operators/{admin.id}/roles/admin", headers=other.auth).status_code == 204
    assert api.get("/api/v1/admin/operators", admin).json["error"]["code"] == "not_an_operator"

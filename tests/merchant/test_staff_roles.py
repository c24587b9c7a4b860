"""Merchant staff roles (app.merchant.roles): every staff endpoint against every role, and the
staff endpoints themselves."""
from __future__ import annotations

import re

import pytest

from app.merchant.roles import RIGHTS
from tests.support.qr import make_merchant

NO_SUCH = "x_doesnotexist000000000000"
MONTH = r"[0-9]{4}-[0-9]{2}(\.csv)?"  # a statement's month, as the route's one path part
HOOK = {"url": "https://hooks.example.com/wallet", "events": ["payment.succeeded"]}

# (method, path under /api/v1/merchants/{m}, body, the right it needs). Sub-objects are ids that do
# not exist: a role that may act gets past the role check to the 404 of the missing object (and
# the new staff member is nobody: a 422 once past it).
ENDPOINTS = [
    ("GET", "", None, "read"),
    ("GET", "/transactions", None, "read"),
    ("GET", "/transactions.csv", None, "read"),
    ("GET", "/settlements", None, "read"),
    ("GET", "/statements/2026-11", None, "read"),  # a month is a path part too: MONTH below
    ("GET", "/statements/2026-11.csv", None, "read"),
    ("GET", f"/qr-codes/{NO_SUCH}", None, "read"),
    ("POST", "/qr-codes", {"kind": "static", "currency": "USD"}, "issue_qr"),
    ("GET", "/terminals", None, "read"),
    ("POST", "/terminals", {"kind": "pos", "label": "Till 9"}, "terminals"),
    ("POST", f"/terminals/{NO_SUCH}/disable", None, "terminals"),
    ("POST", f"/terminals/{NO_SUCH}/enable", None, "terminals"),
    ("POST", f"/terminals/{NO_SUCH}/rotate-secret", None, "terminals"),
    ("GET", f"/terminals/{NO_SUCH}/offline-limits", None, "terminals"),
    ("PUT", f"/terminals/{NO_SUCH}/offline-limits", {"max_sale": 1, "max_total": 2, "max_count": 3, "max_hours": 4},
     "terminals"),
    ("GET", "/offline/unreported", None, "read"),
    ("GET", "/orders", None, "read"),
    ("GET", "/webhooks", None, "webhooks"),
    ("POST", "/webhooks", HOOK, "webhooks"),
    ("POST", f"/webhooks/{NO_SUCH}/disable", None, "webhooks"),
    ("POST", f"/webhooks/{NO_SUCH}/enable", None, "webhooks"),
    ("POST", f"/webhooks/{NO_SUCH}/rotate-secret", None, "webhooks"),
    ("POST", f"/webhooks/{NO_SUCH}/test", None, "webhooks"),
    ("GET", "/webhook-deliveries", None, "webhooks"),
    ("POST", f"/webhook-deliveries/{NO_SUCH}/retry", None, "webhooks"),
    ("GET", "/api-keys", None, "api_keys"),
    ("POST", "/api-keys", {"name": "shop server"}, "api_keys"),
    ("DELETE", f"/api-keys/{NO_SUCH}", None, "api_keys"),
    ("GET", "/staff", None, "staff"),
    ("POST", "/staff", {"identifier": "nobody@example.com", "role": "cashier"}, "staff"),
    ("PATCH", f"/staff/{NO_SUCH}", {"role": "cashier"}, "roles"),
    ("DELETE", f"/staff/{NO_SUCH}", None, "staff"),
    ("GET", "/limits", None, "read"),
    ("PUT", "/limits", {"max_charge": 10_000}, "limits"),
]


@pytest.fixture
def shop(app, api):
    """A merchant with one member of each role."""
    owner = api.person(name="Olga Owner")
    merchant = make_merchant(app, api, owner=owner)
    members = {"owner": owner}
    for role in ("manager", "cashier"):
        person = api.person(name=f"A {role}")
        added = api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner,
                         json={"identifier": person.identifier, "role": role})
        assert added.status_code == 201 and added.json["role"] == role, added.json
        members[role] = person
    return merchant, members


def _call(api, person, method, path, body):
    return api.client.open(path, method=method, json=body, headers=person.auth)


def test_the_table_covers_every_merchant_staff_endpoint(app):
    served = {(method, rule.rule.removeprefix("/api/v1/merchants/<merchant_id>"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/merchants/<merchant_id>")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(method, re.sub(MONTH, "<x>", path.replace(NO_SUCH, "<x>"))) for method, path, _, _ in ENDPOINTS}
    normalized = {(method, "/".join("<x>" if part.startswith("<") else part for part in path.split("/")))
                  for method, path in served}
    assert normalized == listed


@pytest.mark.parametrize("method,path,body,right", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_each_role_may_do_what_the_table_says_and_no_more(api, shop, method, path, body, right):
    merchant, members = shop
    url = f"/api/v1/merchants/{merchant['id']}{path}"
    for role, person in members.items():
        response = _call(api, person, method, url, body)
        if role in RIGHTS[right]:
            assert response.status_code != 403, (role, response.json)
            assert response.status_code < 300 or response.json["error"]["code"] in ("not_found", "validation_error"), \
                (role, response.json)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.json["error"]["code"] == "role_not_allowed"
            assert response.json["error"]["details"]["role"] == role
    # and someone who does not work there learns nothing: the merchant is a 404
    stranger = _call(api, api.person(name="Stranger"), method, url, body)
    assert stranger.status_code == 404 and stranger.json["error"]["code"] == "not_found"


def test_a_manager_adds_and_removes_cashiers_but_not_managers_or_owners(api, shop):
    merchant, members = shop
    base = f"/api/v1/merchants/{merchant['id']}/staff"
    newcomer = api.person(name="New Cashier")

    assert api.post(base, members["manager"], json={"identifier": newcomer.identifier, "role": "manager"}
                    ).json["error"]["code"] == "role_not_allowed"
    added = api.post(base, members["manager"], json={"identifier": newcomer.identifier, "role": "cashier"})
    assert added.status_code == 201
    staff = {m["name"]: m for m in api.get(base, members["manager"]).json["data"]}
    owner_id = staff["Olga Owner"]["id"]
    assert api.client.delete(f"{base}/{owner_id}", headers=members["manager"].auth).status_code == 403
    assert api.client.delete(f"{base}/{added.json['id']}", headers=members["manager"].auth).status_code == 204
    assert "New Cashier" not in {m["name"] for m in api.get(base, members["owner"]).json["data"]}
    # the same person twice is refused
    again = api.post(base, members["owner"], json={"identifier": members["cashier"].identifier, "role": "manager"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_exists"


def test_a_promoted_cashier_gets_the_new_rights_at_once_and_the_last_owner_stays(api, shop):
    merchant, members = shop
    base = f"/api/v1/merchants/{merchant['id']}/staff"
    staff = {m["role"]: m["id"] for m in api.get(base, members["owner"]).json["data"]}
    terminals = f"/api/v1/merchants/{merchant['id']}/terminals"
    assert api.post(terminals, members["cashier"], json={"kind": "pos", "label": "T"}).status_code == 403

    promoted = api.client.patch(f"{base}/{staff['cashier']}", json={"role": "manager"},
                                headers=members["owner"].auth)

    assert promoted.status_code == 200 and promoted.json["role"] == "manager"
    assert api.post(terminals, members["cashier"], json={"kind": "pos", "label": "T"}).status_code == 201
    # the only owner can neither demote nor remove themselves
    for response in (api.client.patch(f"{base}/{staff['owner']}", json={"role": "manager"},
                                      headers=members["owner"].auth),
                     api.client.delete(f"{base}/{staff['owner']}", headers=members["owner"].auth)):
        assert response.status_code == 409 and response.json["error"]["code"] == "conflict"


def test_adding_someone_who_is_not_a_verified_user_changes_nothing(api, shop):
    merchant, members = shop
    base = f"/api/v1/merchants/{merchant['id']}/staff"
    unverified = api.person(name="Not Yet", verified=False)
    for identifier in (unverified.identifier, "+6599999999", "nobody@example.com"):
        response = api.post(base, members["owner"], json={"identifier": identifier, "role": "cashier"})
        assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    for body in ({"identifier": members["cashier"].identifier, "role": "admin"}, {"role": "cashier"}, {}):
        assert api.post(base, members["owner"], json=body).status_code == 422
    assert len(api.get(base, members["owner"]).json["data"]) == 3

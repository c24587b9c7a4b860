"""Merchant API keys: staff create, list and revoke them; a merchant's server signs in with one.
Keys do merchant things only: user tokens are refused on the server API, keys on user endpoints."""
from __future__ import annotations

from sqlalchemy import select

from app.core import clock
from tests.support.merchant_server import MerchantServer, create_key, make_server
from tests.support.qr import make_merchant

KEY_FIELDS = {"id", "name", "key", "prefix", "created_at"}
LISTED_FIELDS = {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}


def test_staff_create_a_key_that_is_shown_once_and_then_listed_without_its_secret(app, api):
    # given a merchant and its owner
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)

    # when the owner creates a key and lists the keys
    created = create_key(api, owner, merchant["id"], "web shop")
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner)

    # then the key is mk_ + 40 URL-safe characters, shown in the answer only
    assert created.status_code == 201, created.json
    assert set(created.json) == KEY_FIELDS
    key = created.json["key"]
    assert key.startswith("mk_") and len(key) == 43
    assert all(c.isalnum() or c in "-_" for c in key[3:])
    assert key.startswith(created.json["prefix"]) and len(created.json["prefix"]) < len(key)
    assert listed.status_code == 200
    assert [set(k) for k in listed.json["data"]] == [LISTED_FIELDS]
    row = listed.json["data"][0]
    assert (row["id"], row["name"], row["prefix"]) == (created.json["id"], "web shop", created.json["prefix"])
    assert (row["last_used_at"], row["revoked_at"]) == (None, None)
    assert key not in str(listed.json)


def test_a_key_is_kept_only_as_its_keyed_digest(app, api):
    # given a freshly created key
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    created = create_key(api, owner, merchant["id"]).json

    # when the stored row is read
    from app.auth.crypto import keyed_digest
    from app.extensions import db
    from app.merchant.api_keys.models import ApiKey
    with app.app_context():
        row = db.session.execute(select(ApiKey).filter_by(id=created["id"])).scalar_one()
        expected = keyed_digest("api_key", created["key"])
        columns = [str(getattr(row, c.name)) for c in ApiKey.__table__.columns]

    # then it holds the digest and nowhere the key itself
    assert row.key_hash == expected
    assert not any(created["key"] in value for value in columns)


def test_a_key_lets_the_merchants_server_in_and_records_its_use(app, api):
    # given a merchant server with a key
    owner, merchant, server = make_server(app, api)

    # when it lists its orders
    response = server.get("/orders")

    # then it is let in, and the key shows when it was last used
    assert response.status_code == 200, response.json
    assert response.json == {"data": [], "has_more": False, "next_cursor": None}
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"]
    assert listed[0]["last_used_at"] is not None


def test_last_used_is_written_at_most_once_a_minute(app, api):
    # given a key that was just used
    owner, merchant, server = make_server(app, api)
    server.get("/orders")
    first = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["last_used_at"]

    # when it is used again 30 s later, then 61 s after the first use
    clock.advance(30)
    server.get("/orders")
    after_30 = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["last_used_at"]
    clock.advance(31)
    server.get("/orders")
    after_61 = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["last_used_at"]

    # then only the second of those was written down
    assert after_30 == first
    assert after_61 > first


def test_a_revoked_key_is_refused_at_once(app, api):
    # given a working key
    owner, merchant, server = make_server(app, api)
    key_id = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["id"]
    assert server.get("/orders").status_code == 200

    # when the owner revokes it
    response = api.client.delete(f"/api/v1/merchants/{merchant['id']}/api-keys/{key_id}", headers=owner.auth)

    # then the very next request with it is 401 invalid_api_key, and the list shows it revoked
    assert response.status_code == 204 and response.data == b""
    refused = server.get("/orders")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_api_key"
    assert server.post("/orders", {"amount": 100, "currency": "USD", "reference": "A-1"}).status_code == 401
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"]
    assert listed[0]["revoked_at"] is not None


def test_revoking_twice_keeps_the_first_revocation_time(app, api):
    owner, merchant, _ = make_server(app, api)
    key_id = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["id"]
    path = f"/api/v1/merchants/{merchant['id']}/api-keys/{key_id}"
    assert api.client.delete(path, headers=owner.auth).status_code == 204
    first = api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["revoked_at"]

    clock.advance(5)
    again = api.client.delete(path, headers=owner.auth)

    assert again.status_code == 204
    assert api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"][0]["revoked_at"] == first


def test_another_merchants_staff_can_neither_see_nor_revoke_a_key(app, api):
    # given merchant A with a key, and the owner of merchant B
    owner_a, merchant_a, server_a = make_server(app, api, name="Shop A")
    owner_b, merchant_b, _ = make_server(app, api, name="Shop B")
    key_id = api.get(f"/api/v1/merchants/{merchant_a['id']}/api-keys", owner_a).json["data"][0]["id"]

    # when B's owner lists A's keys, creates one there, and revokes A's key (under A and under B)
    listed = api.get(f"/api/v1/merchants/{merchant_a['id']}/api-keys", owner_b)
    created = create_key(api, owner_b, merchant_a["id"])
    under_a = api.client.delete(f"/api/v1/merchants/{merchant_a['id']}/api-keys/{key_id}", headers=owner_b.auth)
    under_b = api.client.delete(f"/api/v1/merchants/{merchant_b['id']}/api-keys/{key_id}", headers=owner_b.auth)

    # then every one is 404, and A's key still works
    assert [r.status_code for r in (listed, created, under_a, under_b)] == [404, 404, 404, 404]
    assert server_a.get("/orders").status_code == 200


def test_unknown_and_missing_keys_are_refused(app, api):
    # given a merchant, and a server that made a key up
    _, merchant, _ = make_server(app, api)
    forged = MerchantServer(app.test_client(), "mk_" + "A" * 40, merchant["id"])

    # when each calls, and a request comes with no credentials at all
    unknown = forged.get("/orders")
    missing = app.test_client().get("/api/v1/merchant/orders")

    # then the made-up key is 401 invalid_api_key and no credentials is 401 unauthorized
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "invalid_api_key"
    assert missing.status_code == 401 and missing.json["error"]["code"] == "unauthorized"


def test_a_user_token_is_refused_on_the_merchant_server_api(app, api):
    # given the merchant's owner, signed in with a user token
    owner, _, _ = make_server(app, api)

    # when the owner's token is used on the server API
    listed = api.get("/api/v1/merchant/orders", owner)
    created = api.post("/api/v1/merchant/orders", owner, json={"amount": 100, "currency": "USD", "reference": "A"})

    # then it is 401 invalid_api_key: only API keys open this door
    assert listed.status_code == 401 and listed.json["error"]["code"] == "invalid_api_key"
    assert created.status_code == 401 and created.json["error"]["code"] == "invalid_api_key"


def test_an_api_key_is_refused_on_user_endpoints(app, api):
    # given a merchant server with a working key
    _, merchant, server = make_server(app, api)
    headers = {"Authorization": f"Bearer {server.key}"}

    # when it calls endpoints of users and of merchant staff
    wallets = app.test_client().get("/api/v1/wallets", headers=headers)
    merchants = app.test_client().get(f"/api/v1/merchants/{merchant['id']}", headers=headers)
    keys = app.test_client().post(f"/api/v1/merchants/{merchant['id']}/api-keys", headers=headers,
                                  json={"name": "another"})

    # then each is 401: a key is not a user's token
    assert [r.status_code for r in (wallets, merchants, keys)] == [401, 401, 401]
    assert wallets.json["error"]["code"] == "token_invalid"


def test_a_key_name_is_required_and_plain_text(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)

    for body in ({}, {"name": ""}, {"name": "a\nb"}, {"name": "x" * 101}, {"name": "ok", "scope": "all"}):
        response = api.post(f"/api/v1/merchants/{merchant['id']}/api-keys", owner, json=body)
        assert response.status_code == 422, body

    assert api.get(f"/api/v1/merchants/{merchant['id']}/api-keys", owner).json["data"] == []


def test_the_key_endpoints_and_the_server_api_are_in_the_openapi_document(client):
    doc = client.get("/openapi.json").json

    keys = doc["paths"]["/api/v1/merchants/{merchant_id}/api-keys"]
    one_key = doc["paths"]["/api/v1/merchants/{merchant_id}/api-keys/{key_id}"]
    orders = doc["paths"]["/api/v1/merchant/orders"]
    assert {"get", "post"} <= set(keys) and "delete" in one_key
    assert orders["post"]["security"] == [{"merchantApiKey": []}]
    assert "merchantApiKey" in doc["components"]["securitySchemes"]

"""Admins create merchants; the people who work for a merchant see it, nobody else does."""
import pytest

from tests.support.qr import make_admin, make_merchant, merchant_body

MERCHANT_FIELDS = {"id", "name", "city", "country", "mcc", "currency", "status", "created_at"}


def test_an_admin_creates_a_merchant_and_gets_its_public_fields(app, api):
    # given an admin and a future owner
    admin = make_admin(app, api)
    owner = api.person(name="Owner")

    # when the admin creates a merchant for the owner
    response = api.post("/api/v1/admin/merchants", admin, json=merchant_body(owner=owner, currency="CHF"))

    # then it answers 201 with the merchant's public fields, active, the name as written (UTF-8)
    assert response.status_code == 201, response.json
    assert set(response.json) == MERCHANT_FIELDS
    assert response.json["id"].startswith("mer_")
    assert response.json["name"] == "Café Zürich" and response.json["city"] == "Zürich"
    assert (response.json["country"], response.json["mcc"], response.json["currency"]) == ("CH", "5814", "CHF")
    assert response.json["status"] == "active"
    assert api.verify_ledger() == []


def test_a_normal_user_may_not_create_a_merchant(app, api):
    # given a signed-in user who is not an admin
    user = api.person(name="Mallory")

    # when they try to create a merchant owned by themselves
    response = api.post("/api/v1/admin/merchants", user, json=merchant_body(owner=user))

    # then it is 403 not_an_operator and no merchant exists
    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_an_operator"
    assert api.get("/api/v1/merchants", user).json["data"] == []


def test_creating_a_merchant_without_a_token_is_401(app, api):
    owner = api.person(name="Owner")

    response = api.post("/api/v1/admin/merchants", None, json=merchant_body(owner=owner))

    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert api.get("/api/v1/merchants", owner).json["data"] == []


def test_an_owner_who_is_not_a_user_is_422(app, api):
    # given an admin and an e-mail nobody registered
    admin = make_admin(app, api)
    body = merchant_body(owner=api.person(name="Someone")) | {"owner": "nobody@example.com"}

    response = api.post("/api/v1/admin/merchants", admin, json=body)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["details"]["fields"][0]["field"] == "owner"


@pytest.mark.parametrize("field, value", [
    ("country", "ch"), ("country", "CHE"), ("country", "C1"), ("country", ""),
    ("mcc", "581"), ("mcc", "58140"), ("mcc", "58a4"), ("mcc", 5814),
    ("mcc", "٥٨١٤"),  # Arabic-Indic digits: \d would take them, the EMV wire format does not
    ("currency", "XYZ"), ("currency", "US"), ("currency", "usd"),
    ("name", ""), ("city", ""), ("language", "EN"),
    ("name", "Caf\u00e9\x00Z"), ("city", "Z\x00rich"), ("name", "Two\nLines"),  # NUL was a 500 on PostgreSQL
    ("owner", "+6591\x000001"),
])
def test_a_bad_merchant_field_is_422_and_creates_nothing(app, api, field, value):
    # given an admin and an owner
    admin = make_admin(app, api)
    owner = api.person(name="Owner")
    body = merchant_body(owner=owner) | {field: value}

    # when the merchant is created with one bad field
    response = api.post("/api/v1/admin/merchants", admin, json=body)

    # then it is refused naming that field, and the owner has no merchant
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    named = {f["field"] for f in response.json["error"]["details"]["fields"]}
    # a NUL character is refused for the whole body before the schema runs
    assert field in named or ("\x00" in str(value) and named == {"body"})
    assert api.get("/api/v1/merchants", owner).json["data"] == []


def test_an_unknown_field_is_422(app, api):
    admin = make_admin(app, api)
    owner = api.person(name="Owner")

    response = api.post("/api/v1/admin/merchants", admin, json=merchant_body(owner=owner) | {"status": "frozen"})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_the_owner_sees_the_merchant_in_the_list_and_by_id(app, api):
    # given a merchant created for an owner
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)

    # when the owner lists their merchants and reads this one
    listed = api.get("/api/v1/merchants", owner)
    one = api.get(f"/api/v1/merchants/{merchant['id']}", owner)

    # then both show it exactly as created
    assert listed.status_code == 200 and listed.json["data"] == [{**merchant, "role": "owner"}]
    assert one.status_code == 200 and one.json == merchant


def test_an_owner_of_two_merchants_lists_both_oldest_first(app, api):
    owner = api.person(name="Owner")
    admin = make_admin(app, api)
    first = make_merchant(app, api, owner=owner, admin=admin, name="First Shop")
    second = make_merchant(app, api, owner=owner, admin=admin, name="Second Shop")

    listed = api.get("/api/v1/merchants", owner).json["data"]

    assert {m["id"] for m in listed} == {first["id"], second["id"]}


def test_the_list_says_each_members_own_role(app, api):
    # given an owner who makes one person a cashier
    owner = api.person(name="Owner")
    cashier = api.person(name="Cashier")
    merchant = make_merchant(app, api, owner=owner)
    added = api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner,
                     json={"identifier": cashier.identifier, "role": "cashier"})
    assert added.status_code == 201, added.json

    # then each sees the merchant with their own role (the dashboard offers what that role may do)
    assert [m["role"] for m in api.get("/api/v1/merchants", cashier).json["data"]] == ["cashier"]
    assert [m["role"] for m in api.get("/api/v1/merchants", owner).json["data"]] == ["owner"]


def test_another_user_gets_404_for_someone_elses_merchant(app, api):
    # given a merchant and a user who does not work for it
    owner = api.person(name="Owner")
    stranger = api.person(name="Stranger")
    merchant = make_merchant(app, api, owner=owner)

    # when the stranger reads it and lists their merchants
    response = api.get(f"/api/v1/merchants/{merchant['id']}", stranger)

    # then it looks exactly like a merchant that does not exist
    missing = api.get("/api/v1/merchants/mer_doesnotexist", stranger)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert response.json == missing.json
    assert api.get("/api/v1/merchants", stranger).json["data"] == []


def test_reading_merchants_needs_a_token(app, api):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)

    assert api.get("/api/v1/merchants").status_code == 401
    assert api.get(f"/api/v1/merchants/{merchant['id']}").status_code == 401


def test_a_merchant_id_with_a_nul_is_refused_not_a_server_error(app, api):
    owner = api.person(name="Owner")

    response = api.get("/api/v1/merchants/mer_%00x", owner)

    assert response.status_code in (404, 422)
    assert response.json["error"]["code"] in ("not_found", "validation_error")


def test_an_owner_who_never_verified_their_phone_is_422(app, api):
    # given an account registered with a phone nobody proved to own
    admin = make_admin(app, api)
    squatter = api.person(name="Squatter", verified=False)

    response = api.post("/api/v1/admin/merchants", admin, json=merchant_body(owner=squatter))

    assert response.status_code == 422
    assert response.json["error"]["details"]["fields"][0]["field"] == "owner"

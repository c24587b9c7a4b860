"""The operator console's read endpoints (app/ops/console): who may read them, finding a user,
a user's page, the per-user ledger check and the terminals that need a look."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.support.offline import make_offline_till, pay
from tests.support.operators import make_operator
from tests.support.payment_codes import phone_of
from tests.support.qr import make_merchant
from tests.support.terminals import make_terminal

ENDPOINTS = ["/api/v1/admin/me", "/api/v1/admin/users?q=alice", "/api/v1/admin/users/usr_nobody",
             "/api/v1/admin/users/usr_nobody/verify", "/api/v1/admin/terminals"]


def test_a_user_a_merchant_key_and_no_token_are_refused_on_every_console_endpoint(app, api):
    user = api.person(name="Mallory", balance=1000)
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    key = api.post(f"/api/v1/merchants/{merchant['id']}/api-keys", owner, json={"name": "server"}).json["key"]
    for path in ENDPOINTS:
        as_user = api.get(path, user)
        as_key = api.client.get(path, headers={"Authorization": f"Bearer {key}"})
        assert (as_user.status_code, as_user.json["error"]["code"]) == (403, "not_an_operator"), path
        assert (as_key.status_code, as_key.json["error"]["code"]) == (403, "not_an_operator"), path
        assert api.client.get(path).status_code == 401, path


@pytest.mark.parametrize("role, rights", [("support", ["read", "freeze"]), ("finance", ["read", "adjustments", "fees"]),
                                          ("admin", ["read", "freeze", "operators", "configuration"])])
def test_me_names_the_operators_roles_and_what_they_may_do(app, api, role, rights):
    operator = make_operator(app, api, role, name=f"{role} person")
    me = api.get("/api/v1/admin/me", operator).json
    assert {k: me[k] for k in ("user_id", "name", "roles", "rights")} == \
        {"user_id": operator.id, "name": f"{role} person", "roles": [role], "rights": rights}
    from app.pages import ADMIN  # the console's freeze panel follows what the server has
    assert me["features"]["freezes"] == any(r.rule == "/api/v1/admin/freezes" for r in app.url_map.iter_rules())
    assert ADMIN.exists()


def test_a_user_is_found_by_phone_email_wallet_id_user_id_and_part_of_the_name(app, api):
    support = make_operator(app, api, "support")
    alice = api.person(name="Alice Zwicky", email="alice.zwicky@example.com", phone=None)
    bob = api.person(name="Bob Bauer")
    for q in ("alice.zwicky@example.com", "ALICE.ZWICKY@example.com", alice.wallet_id, alice.id, "zwick"):
        found = api.get("/api/v1/admin/users", support, query_string={"q": q}).json["data"]
        assert [u["id"] for u in found] == [alice.id], q
    by_phone = api.get("/api/v1/admin/users", support, query_string={"q": bob.phone}).json["data"]
    assert [(u["id"], u["tier"], u["verified"]) for u in by_phone] == [(bob.id, "basic", True)]
    assert api.get("/api/v1/admin/users", support, query_string={"q": "+6599999999"}).json["data"] == []
    assert api.get("/api/v1/admin/users", support, query_string={"q": "%_"}).json["data"] == []  # literal, not wildcards
    assert api.get("/api/v1/admin/users", support, query_string={"q": "   "}).json["data"] == []  # not everyone


@pytest.mark.parametrize("query", [{}, {"q": "a"}, {"q": "x" * 255}, {"q": "bad\x00"}])
def test_a_bad_search_is_422(app, api, query):
    support = make_operator(app, api, "support")
    response = api.get("/api/v1/admin/users", support, query_string=query)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"


def test_the_users_page_shows_wallets_holds_limits_and_recent_history(app, api):
    support = make_operator(app, api, "support")
    alice = api.person(name="Alice Page", balance=10_000)
    bob = api.person(name="Bob Page")
    assert api.transfer(alice, bob.phone, 1_500).status_code == 201
    terminal = make_terminal(api, kind="vending", label="Vend 9")
    held = terminal.post("/api/v1/pos/authorizations", {"payment_code": phone_of(api, alice).code(), "amount": 450},
                         key=secrets.token_hex(8))
    assert held.status_code == 201, held.json

    page = api.get(f"/api/v1/admin/users/{alice.id}", support).json

    assert page["user"]["name"] == "Alice Page" and page["operator_roles"] == []
    [wallet] = page["wallets"]
    assert (wallet["id"], wallet["balance"], wallet["held"], wallet["available"]) == (alice.wallet_id, 8_500, 450, 8_050)
    [hold] = page["holds"]
    assert (hold["amount"], hold["terminal_id"], hold["wallet_id"]) == (450, terminal.terminal_id, alice.wallet_id)
    [limits] = page["limits"]["wallets"]
    assert page["limits"]["tier"]["name"] == "basic"
    assert limits["day"]["used"] == 1_950 and limits["day"]["left"] == page["limits"]["tier"]["daily_out"] - 1_950
    assert [(h["type"], h["amount"]) for h in page["history"]] == [("hold", -450), ("transfer", -1_500),
                                                                   ("topup", 10_000)]
    # once captured, the hold is gone from the page
    assert terminal.post(f"/api/v1/pos/authorizations/{held.json['id']}/capture", {"amount": 300},
                         key=secrets.token_hex(8)).status_code == 200
    assert api.get(f"/api/v1/admin/users/{alice.id}", support).json["holds"] == []


def test_an_unknown_user_is_404_on_the_page_and_the_check(app, api):
    finance = make_operator(app, api, "finance")
    for path in ("/api/v1/admin/users/usr_nobody", "/api/v1/admin/users/usr_nobody/verify"):
        response = api.get(path, finance)
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")


def test_the_users_ledger_check_passes_and_then_names_an_edited_transfer(app, api):
    support = make_operator(app, api, "support")
    alice = api.person(name="Alice Check", balance=5_000)
    bob = api.person(name="Bob Check")
    txn_id = api.transfer(alice, bob.phone, 700).json["id"]

    clean = api.get(f"/api/v1/admin/users/{alice.id}/verify", support).json
    assert clean["ok"] is True and clean["problems"] == []
    assert clean["wallets"] == [{"wallet_id": alice.wallet_id, "entries": 2, "ok": True}]

    with app.app_context():
        db.session.execute(text("UPDATE transfers SET amount = 70 WHERE transaction_id = :t"), {"t": txn_id})
        db.session.commit()
    broken = api.get(f"/api/v1/admin/users/{alice.id}/verify", support).json
    assert broken["ok"] is False and broken["wallets"][0]["ok"] is False
    assert any("hash mismatch" in p for p in broken["problems"])
    assert any("balance_after" in p for p in broken["problems"])  # the running balance no longer adds up
    assert api.verify_ledger() != []  # the full verify agrees


def test_a_quiet_terminal_is_listed_once_it_passes_the_stale_time(app, api):
    support = make_operator(app, api, "support")
    terminal = make_terminal(api, label="Quiet Till")
    listed = lambda: [t["id"] for t in api.get("/api/v1/admin/terminals", support,  # noqa: E731
                                                query_string={"stale_after": 3600}).json["data"]]
    assert terminal.terminal_id not in listed()
    with app.app_context():  # registered (and last rotated) two hours ago, nothing sold since
        db.session.execute(text("UPDATE terminals SET created_at = created_at - interval '2 hours', "
                                "secret_rotated_at = secret_rotated_at - interval '2 hours' WHERE id = :t"),
                           {"t": terminal.terminal_id})
        db.session.commit()
    [watched] = api.get("/api/v1/admin/terminals", support, query_string={"stale_after": 3600}).json["data"]
    assert (watched["id"], watched["label"], watched["stale"], watched["unreported"]) == \
        (terminal.terminal_id, "Quiet Till", True, 0)


def test_a_terminal_with_offline_sales_not_reported_is_listed_even_when_fresh(app, api):
    support = make_operator(app, api, "support")
    till = make_offline_till(api)
    payer = api.person(name="Offline Payer", balance=5_000)
    assert pay(api, payer, till.code(300).payload).status_code == 201

    [watched] = api.get("/api/v1/admin/terminals", support, query_string={"stale_after": 86_400}).json["data"]

    assert (watched["id"], watched["stale"], watched["unreported"], watched["refused"]) == \
        (till.terminal.terminal_id, False, 1, 0)


@pytest.mark.parametrize("query", [{"stale_after": 0}, {"stale_after": "soon"}, {"stale_after": 1.5}, {"limit": 101}])
def test_a_bad_terminal_query_is_422(app, api, query):
    support = make_operator(app, api, "support")
    response = api.get("/api/v1/admin/terminals", support, query_string=query)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"

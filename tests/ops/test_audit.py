"""The audit trail: written by the services in the action's own transaction, append-only, hash-chained,
checked by `flask audit verify`, read by operators through GET /api/v1/admin/audit."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core import clock
from app.extensions import db
from tests.support.operators import audit_records, make_operator
from tests.support.qr import make_merchant
from tests.support.webhooks import register

URL = "https://shop.example.com/hooks"


@pytest.fixture
def shop(app, api):
    owner = api.person(name="Shop Owner")
    return owner, make_merchant(app, api, owner=owner)


def verify(app):
    from app.ops.audit.verify import verify_audit
    with app.app_context():
        return verify_audit()


@contextmanager
def trigger_off(app):
    """What an attacker with the table owner's rights could do: switch the append-only trigger off."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
        try:
            yield conn
        finally:
            conn.execute(text("ALTER TABLE audit_records ENABLE TRIGGER audit_records_append_only"))


def test_every_merchant_staff_change_leaves_one_record(app, api, shop):
    # given a shop's owner
    owner, merchant = shop
    base = f"/api/v1/merchants/{merchant['id']}"
    # when they manage terminals, keys, webhooks and staff
    terminal = api.post(f"{base}/terminals", owner, json={"kind": "pos", "label": "Till 1"}).json
    for verb in ("disable", "enable", "rotate-secret"):
        assert api.post(f"{base}/terminals/{terminal['id']}/{verb}", owner).status_code == 200
    key = api.post(f"{base}/api-keys", owner, json={"name": "server"}).json
    assert api.client.delete(f"{base}/api-keys/{key['id']}", headers=owner.auth).status_code == 204
    hook = register(api, owner, merchant["id"], URL).json
    for verb in ("disable", "enable", "rotate-secret"):
        assert api.post(f"{base}/webhooks/{hook['id']}/{verb}", owner).status_code == 200
    clerk = api.person(name="Clerk")
    member = api.post(f"{base}/staff", owner, json={"identifier": clerk.identifier, "role": "cashier"}).json
    assert api.client.patch(f"{base}/staff/{member['id']}", headers=owner.auth,
                            json={"role": "manager"}).status_code == 200
    assert api.client.delete(f"{base}/staff/{member['id']}", headers=owner.auth).status_code == 204

    # then each change has its record, by the owner as merchant staff, oldest first here
    records = list(reversed(audit_records(app, actor_id=owner.id)))
    assert [r["action"] for r in records] == [
        "terminal.register", "terminal.disable", "terminal.enable", "terminal.rotate_secret",
        "api_key.create", "api_key.revoke",
        "webhook.create", "webhook.disable", "webhook.enable", "webhook.rotate_secret",
        "staff.add", "staff.change_role", "staff.remove"]
    assert {r["actor_type"] for r in records} == {"merchant_staff"}
    assert records[1]["before"] == {"status": "active"} and records[1]["after"]["status"] == "disabled"
    assert records[11]["before"] == {"role": "cashier"} and records[11]["after"]["role"] == "manager"
    assert {r["ip"] for r in records} == {"127.0.0.1"}
    # and no secret, nor the key, is ever in the trail
    everything = str(records)
    for secret in (terminal["secret"], key["key"], hook["secret"]):
        assert secret not in everything
    assert verify(app) == (len(audit_records(app)), [])


def test_a_refused_action_leaves_no_record(app, api, shop):
    owner, merchant = shop
    cashier = api.person(name="Cashier")
    api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner, json={"identifier": cashier.identifier,
                                                                       "role": "cashier"})
    response = api.post(f"/api/v1/merchants/{merchant['id']}/terminals", cashier, json={"kind": "pos", "label": "x"})
    assert response.status_code == 403
    assert audit_records(app, actor_id=cashier.id) == []


def test_the_database_refuses_to_change_or_delete_a_record(app, api, shop):
    assert audit_records(app)  # the merchant's creation
    with app.app_context():
        for statement in ("UPDATE audit_records SET reason = 'nothing to see'", "DELETE FROM audit_records"):
            with pytest.raises(DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))


@pytest.mark.parametrize("tamper, problem", [
    ("UPDATE audit_records SET after = '{\"status\": \"active\"}' WHERE seq = 2", "hash mismatch"),
    ("UPDATE audit_records SET actor_id = 'usr_someone_else' WHERE seq = 1", "hash mismatch"),
    ("DELETE FROM audit_records WHERE seq = 2", "missing"),
])
def test_verify_finds_a_tampered_trail(app, api, shop, tamper, problem):
    # given a trail of a few records that verifies
    owner, merchant = shop
    terminal = api.post(f"/api/v1/merchants/{merchant['id']}/terminals", owner, json={"kind": "pos", "label": "T"}).json
    api.post(f"/api/v1/merchants/{merchant['id']}/terminals/{terminal['id']}/disable", owner)
    assert verify(app)[1] == []
    # when someone edits or removes a record behind the application's back
    with trigger_off(app) as conn:
        conn.execute(text(tamper))
    # then verify says where, and the CLI exits 1
    _, problems = verify(app)
    assert problems and problem in problems[0]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "MISMATCH" in result.output


def test_the_cli_says_ok_for_an_intact_trail(app, api, shop):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit verify: OK" in result.output


def test_operators_read_the_trail_filtered_by_actor_object_and_time_page_by_page(app, api, shop):
    # given records by two people at different times
    owner, merchant = shop
    support = make_operator(app, api, "support")
    base = f"/api/v1/merchants/{merchant['id']}/terminals"
    made = []
    for n in range(3):
        clock.advance(60)
        made.append(api.post(base, owner, json={"kind": "pos", "label": f"Till {n}"}).json["id"])
    admin_id = audit_records(app, action="merchant.create")[0]["actor_id"]

    def read(**params):
        response = api.get("/api/v1/admin/audit", support, query_string=params)
        assert response.status_code == 200, response.json
        return response.json

    # by actor, newest first, page by page
    first = read(actor_id=owner.id, limit=2)
    assert [r["object_id"] for r in first["data"]] == [made[2], made[1]] and first["has_more"]
    rest = read(actor_id=owner.id, limit=2, cursor=first["next_cursor"])
    assert [r["object_id"] for r in rest["data"]] == [made[0]] and not rest["has_more"]
    assert [r["action"] for r in read(actor_id=admin_id)["data"]] == ["merchant.create"]
    # by object
    assert [r["action"] for r in read(object_id=made[1])["data"]] == ["terminal.register"]
    # by time: since is inclusive, until exclusive
    second = audit_records(app, object_id=made[1])[0]["created_at"]
    at = clock.now().fromisoformat(second)
    assert [r["object_id"] for r in read(since=second)["data"] if r["actor_id"] == owner.id] == [made[2], made[1]]
    assert [r["object_id"] for r in read(until=second, actor_id=owner.id)["data"]] == [made[0]]
    assert read(since=(at + timedelta(days=1)).isoformat())["data"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"cursor": "not-ours"},
                                    {"since": "2026-01-01T00:00:00"}, {"since": "yesterday"}])
def test_bad_audit_queries_are_422(app, api, params):
    support = make_operator(app, api, "support")
    response = api.get("/api/v1/admin/audit", support, query_string=params)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_concurrent_changes_extend_one_unbroken_chain(app, api, shop):
    """Broke once on purpose: without the advisory lock in audit_append, two registrations read the
    same last record and both took its next sequence number (a 500 from the primary key)."""
    import threading
    owner, merchant = shop
    barrier, responses = threading.Barrier(8), [None] * 8

    def register_terminal(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = client.post(f"/api/v1/merchants/{merchant['id']}/terminals", headers=owner.auth,
                                       json={"kind": "pos", "label": f"Till {index}"})

    threads = [threading.Thread(target=register_terminal, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in responses] == [201] * 8
    assert len(audit_records(app, action="terminal.register")) == 8
    assert verify(app) == (9, [])  # the merchant's creation and the eight registrations


def test_a_record_is_written_in_the_actions_transaction_and_rolls_back_with_it(app):
    from app.core import audit
    from app.core.uow import unit_of_work
    with app.app_context():
        with pytest.raises(RuntimeError):
            with unit_of_work():
                audit.record("system", "test", "thing.change", "thing", "thg_1", after={"n": 1})
                raise RuntimeError("the change fails after its record was written")
        assert db.session.execute(text("SELECT count(*) FROM audit_records")).scalar_one() == 0
        with unit_of_work() as uow:
            assert audit.record("system", "test", "thing.change", "thing", "thg_1", after={"n": 1}) == 1
            uow.commit()
    assert verify(app) == (1, [])


def test_a_disabled_operator_loses_their_roles_at_once(app, api):
    support = make_operator(app, api, "support")
    assert api.get("/api/v1/admin/audit", support).status_code == 200
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET status = 'disabled' WHERE id = :id"), {"id": support.id})
    assert api.get("/api/v1/admin/audit", support).json["error"]["code"] == "not_an_operator"

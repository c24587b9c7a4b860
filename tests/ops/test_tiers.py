"""Tiers through the operator API: who may change them, what they accept, and the audit record."""
import pytest

from tests.support.operators import audit_records, make_operator
from tests.support.tiers import LIMITS, move_to, set_tier


def test_an_admin_moves_a_user_to_verified_and_the_change_is_audited(app, api):
    admin = make_operator(app, api, "admin")
    person = api.person()
    assert api.get("/api/v1/me/limits", person).json["tier"]["name"] == "basic"

    response = move_to(api, admin, person, "verified", reason="passport seen, case 42")

    assert response.status_code == 200 and response.json == {"user_id": person.id, "tier": "verified"}
    assert api.get("/api/v1/me/limits", person).json["tier"]["name"] == "verified"
    record, = [r for r in audit_records(app, object_id=person.id) if r["action"] == "user.tier"]
    assert record["actor_id"] == admin.id and record["reason"] == "passport seen, case 42"
    assert (record["before"], record["after"]) == ({"tier": "basic"}, {"tier": "verified"})


def test_a_user_cannot_change_their_own_tier(app, api):
    person = api.person()

    response = move_to(api, person, person, "verified")

    assert response.status_code == 403
    assert api.get("/api/v1/me/limits", person).json["tier"]["name"] == "basic"


def test_support_may_not_change_a_tier(app, api):
    support = make_operator(app, api, "support")
    person = api.person()
    response = move_to(api, support, person, "verified")
    assert response.status_code == 403 and response.json["error"]["code"] == "role_not_allowed"


def test_an_unknown_tier_is_422_and_an_unknown_user_404(app, api):
    admin = make_operator(app, api, "admin")
    person = api.person()
    assert move_to(api, admin, person, "platinum").status_code == 422
    missing = api.client.put("/api/v1/admin/users/usr_nobody/tier", headers=admin.auth,
                             json={"tier": "verified", "reason": "test"})
    assert missing.status_code == 404


@pytest.mark.parametrize("bad", [-1, 1.5, 5.0, "100", None, True])
def test_a_negative_fractional_or_non_integer_limit_is_422_and_changes_nothing(app, api, bad):
    admin = make_operator(app, api, "admin")
    before = api.get("/api/v1/admin/tiers", admin).json["data"]

    response = set_tier(api, admin, "basic", daily_out=bad)

    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"
    assert api.get("/api/v1/admin/tiers", admin).json["data"] == before


def test_an_admin_changes_a_tiers_limits_and_the_change_is_audited(app, api):
    admin = make_operator(app, api, "admin")

    response = set_tier(api, admin, "basic", daily_out=0)

    assert response.status_code == 200 and response.json["daily_out"] == 0
    assert set(response.json) == {"name", *LIMITS}
    record, = [r for r in audit_records(app, object_id="basic") if r["action"] == "tier.limits"]
    assert record["after"]["daily_out"] == 0 and record["before"]["daily_out"] != 0

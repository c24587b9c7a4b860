"""Adjustments: one finance operator proposes, a different one approves (then it is posted) or rejects."""
import pytest

from tests.support.history import history
from tests.support.ledger import transaction_rows
from tests.support.operators import audit_records, decide, make_operator, propose


@pytest.fixture
def desk(app, api):
    """An admin and two finance operators, Fiona and Frank."""
    admin = make_operator(app, api, "admin")
    return (admin, make_operator(app, api, "finance", admin=admin, name="Fiona"),
            make_operator(app, api, "finance", admin=admin, name="Frank"))


def test_an_approved_credit_is_posted_and_shows_in_the_users_history_as_an_adjustment(app, api, desk):
    # given a user with 10.00 and a credit of 2.50 proposed by Fiona
    _, fiona, frank = desk
    user = api.person(name="Uma", balance=1000)
    proposed = propose(api, fiona, user.wallet_id, 250, reference="CASE-42")
    assert proposed.status_code == 201
    assert proposed.json["status"] == "pending" and proposed.json["proposed_by"] == fiona.id
    # nothing moves while it is pending
    assert api.wallet(user)["balance"] == 1000

    # when Frank approves it
    response = decide(api, frank, proposed.json["id"], note="checked the card statement")

    # then it is posted, with both names on the record
    assert response.status_code == 200, response.json
    assert response.json["status"] == "approved"
    assert (response.json["proposed_by"], response.json["decided_by"]) == (fiona.id, frank.id)
    assert response.json["decision_note"] == "checked the card statement"
    assert api.wallet(user)["balance"] == 1250
    # and the user's history shows an adjustment, its reference, and no operator bookkeeping
    [item, *_] = history(api, user).json["data"]
    assert (item["id"], item["type"], item["amount"]) == (response.json["transaction_id"], "adjustment", 250)
    assert item["reference"] == "CASE-42"
    assert item["counterparty"] == {"type": "system", "name": "Adjustment"}
    assert [i["id"] for i in history(api, user, type="adjustment").json["data"]] == [item["id"]]
    assert api.verify_ledger() == []


def test_an_approved_debit_takes_the_money_into_revenue(app, api, desk):
    _, fiona, frank = desk
    user = api.person(name="Uma", balance=1000)
    adjustment = propose(api, fiona, user.wallet_id, 300, direction="debit", counter="revenue").json
    assert decide(api, frank, adjustment["id"]).json["status"] == "approved"
    assert api.wallet(user)["balance"] == 700
    assert history(api, user).json["data"][0]["amount"] == -300
    assert api.verify_ledger() == []


def test_nobody_approves_or_rejects_their_own_proposal(app, api, desk):
    # given Fiona's proposal
    _, fiona, _ = desk
    user = api.person(name="Uma", balance=1000)
    adjustment = propose(api, fiona, user.wallet_id, 5000).json
    for verb in ("approve", "reject"):
        # when Fiona decides it herself
        response = decide(api, fiona, adjustment["id"], verb)
        # then it is 403 self_approval and nothing changed
        assert response.status_code == 403
        assert response.json["error"]["code"] == "self_approval"
    assert api.get(f"/api/v1/admin/adjustments/{adjustment['id']}", fiona).json["status"] == "pending"
    assert api.wallet(user)["balance"] == 1000


def test_a_rejected_adjustment_posts_nothing_and_cannot_be_approved_later(app, api, desk):
    _, fiona, frank = desk
    user = api.person(name="Uma", balance=1000)
    adjustment = propose(api, fiona, user.wallet_id, 250).json
    before = transaction_rows(app)
    rejected = decide(api, frank, adjustment["id"], "reject", note="duplicate of CASE-41")
    assert rejected.status_code == 200
    assert (rejected.json["status"], rejected.json["decided_by"], rejected.json["transaction_id"]) == \
        ("rejected", frank.id, None)
    assert transaction_rows(app) == before
    again = decide(api, frank, adjustment["id"])
    assert again.status_code == 409
    assert again.json["error"] == {"code": "adjustment_not_pending", "message": again.json["error"]["message"],
                                   "details": {"status": "rejected"}}
    assert api.wallet(user)["balance"] == 1000


def test_a_debit_the_wallet_cannot_cover_is_refused_and_stays_pending(app, api, desk):
    # given a debit of 20.00 from a wallet holding 10.00
    _, fiona, frank = desk
    user = api.person(name="Uma", balance=1000)
    adjustment = propose(api, fiona, user.wallet_id, 2000, direction="debit").json
    before = transaction_rows(app)

    # when Frank approves it
    response = decide(api, frank, adjustment["id"])

    # then it is 402 insufficient_funds, nothing is posted or recorded, and it can be approved later
    assert response.status_code == 402
    assert response.json["error"]["code"] == "insufficient_funds"
    assert transaction_rows(app) == before
    assert api.get(f"/api/v1/admin/adjustments/{adjustment['id']}", frank).json["status"] == "pending"
    assert [r["action"] for r in audit_records(app, object_id=adjustment["id"])] == ["adjustment.propose"]
    api.topup(user, 1000)
    assert decide(api, frank, adjustment["id"]).json["status"] == "approved"
    assert api.wallet(user)["balance"] == 0
    assert api.verify_ledger() == []


def test_a_credit_beyond_the_wallets_maximum_balance_is_refused(app, api, desk, monkeypatch):
    _, fiona, frank = desk
    user = api.person(name="Uma", balance=1000)
    monkeypatch.setitem(app.config, "MAX_WALLET_BALANCE", 1500)
    adjustment = propose(api, fiona, user.wallet_id, 600).json
    response = decide(api, frank, adjustment["id"])
    assert response.status_code == 422
    assert response.json["error"]["code"] == "balance_limit_exceeded"
    assert api.get(f"/api/v1/admin/adjustments/{adjustment['id']}", frank).json["status"] == "pending"
    assert api.wallet(user)["balance"] == 1000


@pytest.mark.parametrize("change, field", [
    ({"amount": -100}, "amount"), ({"amount": 0}, "amount"), ({"amount": 12.5}, "amount"),
    ({"amount": "100"}, "amount"), ({"currency": "XYZ"}, "currency"), ({"direction": "sideways"}, "direction"),
    ({"counter": "float"}, "counter"), ({"reason": ""}, "reason"), ({"reference": ""}, "reference"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_proposal_is_a_422_envelope_and_records_nothing(app, api, desk, change, field):
    _, fiona, _ = desk
    user = api.person(name="Uma")
    body = {"wallet_id": user.wallet_id, "direction": "credit", "counter": "suspense", "amount": 100,
            "currency": "USD", "reason": "test", "reference": "R1"} | change
    response = api.post("/api/v1/admin/adjustments", fiona, json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]["fields"][0]["field"]
    assert api.get("/api/v1/admin/adjustments", fiona).json["data"] == []


def test_a_proposal_for_a_missing_wallet_or_in_another_currency_is_refused(app, api, desk):
    _, fiona, _ = desk
    user = api.person(name="Uma")
    assert propose(api, fiona, "wal_missing", 100).json["error"]["code"] == "not_found"
    response = propose(api, fiona, user.wallet_id, 100, currency="EUR")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "currency_not_supported"
    assert audit_records(app, action="adjustment.propose") == []


def test_deciding_an_unknown_adjustment_is_404(app, api, desk):
    _, _, frank = desk
    assert decide(api, frank, "adj_missing").status_code == 404
    assert api.get("/api/v1/admin/adjustments/adj_missing", frank).status_code == 404


def test_the_list_filters_by_status_and_wallet_and_pages_newest_first(app, api, desk):
    from app.core import clock
    _, fiona, frank = desk
    uma, ulf = api.person(name="Uma"), api.person(name="Ulf")
    made = []
    for person in (uma, ulf, uma):
        made.append(propose(api, fiona, person.wallet_id, 100).json["id"])
        clock.advance(1)
    decide(api, frank, made[0], "reject")
    first = api.get("/api/v1/admin/adjustments", frank, query_string={"limit": 2}).json
    assert [a["id"] for a in first["data"]] == [made[2], made[1]] and first["has_more"]
    rest = api.get("/api/v1/admin/adjustments", frank, query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [a["id"] for a in rest["data"]] == [made[0]] and not rest["has_more"]
    pending = api.get("/api/v1/admin/adjustments", frank, query_string={"status": "pending"}).json["data"]
    assert [a["id"] for a in pending] == [made[2], made[1]]
    of_uma = api.get("/api/v1/admin/adjustments", frank, query_string={"wallet_id": uma.wallet_id}).json["data"]
    assert [a["id"] for a in of_uma] == [made[2], made[0]]


def test_proposal_and_decision_are_audited_with_both_operators(app, api, desk):
    _, fiona, frank = desk
    user = api.person(name="Uma")
    adjustment = propose(api, fiona, user.wallet_id, 250, reason="refund of a lost voucher").json
    approved = decide(api, frank, adjustment["id"], note="ok").json
    proposal, decision = reversed(audit_records(app, object_id=adjustment["id"]))
    assert (proposal["action"], proposal["actor_id"], proposal["reason"]) == \
        ("adjustment.propose", fiona.id, "refund of a lost voucher")
    assert proposal["after"]["amount"] == 250 and proposal["before"] is None
    assert (decision["action"], decision["actor_id"], decision["reason"]) == ("adjustment.approve", frank.id, "ok")
    assert decision["before"] == {"status": "pending"}
    assert decision["after"] == {"status": "approved", "transaction_id": approved["transaction_id"]}
    assert decision["ip"] == "127.0.0.1"

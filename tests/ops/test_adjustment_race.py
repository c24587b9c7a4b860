"""Ten approvals of one adjustment at once post it exactly once."""
import threading

from app.extensions import db
from app.wallet.models import Transaction
from tests.support.operators import make_operator, propose


def test_ten_concurrent_approvals_post_exactly_once(app, api):
    """Broke once on purpose: without FOR UPDATE on the proposal in adjustment_decide, several
    approvals read it pending and each posted the credit (balance 1000 + n x 250)."""
    admin = make_operator(app, api, "admin")
    fiona = make_operator(app, api, "finance", admin=admin, name="Fiona")
    approvers = [make_operator(app, api, "finance", admin=admin, name=f"Approver {n}") for n in range(2)]
    user = api.person(name="Uma", balance=1000)
    adjustment = propose(api, fiona, user.wallet_id, 250).json
    barrier = threading.Barrier(10)
    responses = [None] * 10

    def approve(index: int) -> None:
        client = app.test_client()
        approver = approvers[index % 2]  # two different approvers too: still one posting
        barrier.wait()
        responses[index] = client.post(f"/api/v1/admin/adjustments/{adjustment['id']}/approve",
                                       headers=approver.auth, json={})

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9
    assert {r.json["error"]["code"] for r in responses if r.status_code == 409} == {"adjustment_not_pending"}
    assert api.wallet(user)["balance"] == 1250
    with app.app_context():
        assert db.session.query(Transaction).filter_by(type="adjustment").count() == 1
    assert api.verify_ledger() == []

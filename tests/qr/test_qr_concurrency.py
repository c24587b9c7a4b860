"""Many payers scan one dynamic code at the same moment (PostgreSQL): exactly one pays."""
import threading

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import Account, Transaction
from tests.support.qr import make_code, make_merchant, merchant_balance

PAYERS = 20


def test_twenty_payers_racing_for_one_dynamic_code_pay_it_exactly_once(app, api):
    # given a dynamic code for 12.50 and twenty payers with 50.00 each
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner)
    code = make_code(api, owner, merchant, amount=1250)
    payers = [api.person(name=f"Payer {i}", balance=5000) for i in range(PAYERS)]
    barrier = threading.Barrier(PAYERS)
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(payer):
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/qr/payments", headers=payer.auth,
                                   json={"payload": code["payload"], "wallet_id": payer.wallet_id})
            with lock:
                answers.append((response.status_code, response.json))
        except BaseException as exc:  # noqa: BLE001 - reported below, not swallowed
            with lock:
                errors.append(exc)

    # when all of them pay at once
    threads = [threading.Thread(target=attempt, args=(payer,)) for payer in payers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then one payment went through and every other payer was told the code is paid
    assert errors == []
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (PAYERS - 1), answers
    assert all(body["error"]["code"] == "qr_already_paid" for status, body in answers if status == 409)
    winner = next(body for status, body in answers if status == 201)
    assert merchant_balance(app, merchant["id"]) == 1250
    assert sorted(api.wallet(p)["balance"] for p in payers) == [3750] + [5000] * (PAYERS - 1)
    with app.app_context():
        payments = db.session.execute(select(Transaction.id).where(Transaction.type == "payment")).scalars().all()
        assert payments == [winner["id"]]
        total = db.session.execute(select(func.sum(Account.credits_posted - Account.debits_posted))
                                   .where(Account.currency == "USD")).scalar_one()
        assert total == 0
    status = api.get(f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}", owner).json
    assert (status["status"], status["paid_transaction_id"]) == ("paid", winner["id"])
    assert api.verify_ledger() == []

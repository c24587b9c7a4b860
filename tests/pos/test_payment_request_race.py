"""A terminal cancels a payment request while the customer pays it (PostgreSQL): each time,
exactly one of the two wins, and the money matches the winners."""
import random
import threading
import time

from sqlalchemy import select

from app.extensions import db
from app.wallet.models import Transaction
from tests.support.qr import merchant_balance
from tests.support.terminals import TerminalClient, make_terminal

ROUNDS = 20
AMOUNT = 100
REQUESTS = "/api/v1/pos/payment-requests"


def race(app, terminal, payer, created) -> dict:
    """Start a cancel and a payment together, each on its own client; their (status, json)."""
    barrier = threading.Barrier(2)
    answers, errors = {}, []
    canceler = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret)
    paying_client = app.test_client()

    def cancel():
        barrier.wait(timeout=30)
        # A cancel is a lighter request than a payment (no token, no PIN, no decoding): a few
        # milliseconds of jitter let either one reach the row lock first, so both orders occur.
        time.sleep(random.uniform(0, 0.004))
        response = canceler.post(f"{REQUESTS}/{created['id']}/cancel")
        answers["cancel"] = (response.status_code, response.json)

    def pay():
        barrier.wait(timeout=30)
        response = paying_client.post("/api/v1/qr/payments", headers=payer.auth,
                                      json={"payload": created["payload"], "wallet_id": payer.wallet_id})
        answers["pay"] = (response.status_code, response.json)

    def guarded(fn):
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(fn,)) for fn in (cancel, pay)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return answers


def test_a_cancel_racing_a_payment_ends_in_exactly_one_of_them(app, api):
    # given a terminal and a customer with enough money for every round
    terminal = make_terminal(api)
    payer = api.person(name="Customer", balance=ROUNDS * AMOUNT)
    paid_ids, canceled = [], 0

    for _ in range(ROUNDS):
        created = terminal.post(REQUESTS, json={"amount": AMOUNT, "currency": "USD", "reference": "RACE"}).json

        # when the terminal cancels while the customer pays
        answers = race(app, terminal, payer, created)

        # then exactly one of them won, the loser was told why, and the request says who won
        (pay_status, paid), (cancel_status, cancel_body) = answers["pay"], answers["cancel"]
        final = terminal.get(f"{REQUESTS}/{created['id']}").json
        if pay_status == 201:
            assert cancel_status == 409, f"both won: {answers}"
            assert cancel_body["error"]["code"] == "payment_request_not_pending"
            assert (final["status"], final["transaction_id"]) == ("succeeded", paid["id"])
            paid_ids.append(paid["id"])
        else:
            assert (pay_status, cancel_status) == (409, 200), f"not exactly one winner: {answers}"
            assert paid["error"]["code"] == "qr_canceled" and final["status"] == "canceled"
            canceled += 1

    # and the balances match the winners, every payment is booked once, the ledger verifies
    assert len(paid_ids) + canceled == ROUNDS
    assert api.wallet(payer)["balance"] == (ROUNDS - len(paid_ids)) * AMOUNT
    assert merchant_balance(app, terminal.merchant_id) == len(paid_ids) * AMOUNT
    with app.app_context():
        payments = db.session.execute(select(Transaction.id).where(Transaction.type == "payment")).scalars().all()
    assert sorted(payments) == sorted(paid_ids)
    assert api.verify_ledger() == []
    print(f"\n{ROUNDS} rounds: {len(paid_ids)} paid, {canceled} canceled")

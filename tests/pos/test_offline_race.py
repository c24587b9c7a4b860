"""Ten customers pay one code a terminal made offline, at the same moment (PostgreSQL): exactly
one payment wins, the others are refused qr_already_paid, and the money matches.

Shown to fail: with offline_pay ignoring what its ON CONFLICT DO NOTHING found (the row count check
made never true), all ten payers were charged for one code."""
from __future__ import annotations

import threading

from tests.support.offline import make_offline_till, pay
from tests.support.qr import merchant_balance

PAYERS = 10


def test_ten_payers_of_one_offline_code_at_once_leave_exactly_one_payment(app, api):
    till = make_offline_till(api)
    payers = [api.person(name=f"Payer {i}", balance=1_000) for i in range(PAYERS)]
    code = till.code(250)
    barrier = threading.Barrier(PAYERS)
    answers: list = [None] * PAYERS

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = pay(api, payers[index], code.payload, client=client)
        answers[index] = (response.status_code, response.json)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PAYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (PAYERS - 1), answers
    assert all(body["error"]["code"] == "qr_already_paid" for status, body in answers if status == 409)
    assert merchant_balance(app, till.terminal.merchant_id) == 250
    assert sum(api.wallet(p)["balance"] for p in payers) == PAYERS * 1_000 - 250
    assert api.verify_ledger() == []

"""Races on offline sales (PostgreSQL). Ten customers pay one code a terminal made offline at the
same moment: exactly one payment wins, the others are refused qr_already_paid, and the money
matches. Two copies of one upload at once: each record posts once.

Shown to fail: with offline_pay ignoring what its ON CONFLICT DO NOTHING found (the row count check
made never true), all ten payers were charged for one code."""
from __future__ import annotations

import threading

from app.core import clock
from tests.support.offline import make_offline_till, pay, record
from tests.support.qr import merchant_balance
from tests.support.terminals import TerminalClient

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


def test_the_same_batch_uploaded_twice_at_once_posts_each_record_once(app, api):
    """Shown to fail: without the upload's lock on the terminal row, both copies read "no report
    yet" and the second insert broke the unique (terminal_id, seq): a 500 instead of duplicates."""
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    since = int(clock.now().timestamp()) - 60
    records = []
    for amount in (100, 200, 300, 400):
        code = till.code(amount)
        records.append(record(code, pay(api, payer, code.payload).json, offline_since=since))
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def upload(index: int) -> None:
        own = TerminalClient(app.test_client(), till.terminal.terminal_id, till.secret)
        barrier.wait(timeout=30)
        answers[index] = own.post("/api/v1/pos/offline/sales", {"records": records})

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [200, 200]
    statuses = sorted(tuple(r["status"] for r in a.json["results"]) for a in answers)
    assert statuses == [("duplicate",) * 4, ("posted",) * 4]

"""Two refunds of one charge at the same moment: the charge row lock makes them queue, so
together they never give back more than was charged. PostgreSQL only (SQLite has no row locks)."""
from __future__ import annotations

import threading
import uuid

from tests.support.payment_codes import balance, charged, phone_of
from tests.support.qr import merchant_balance
from tests.support.terminals import TerminalClient, make_terminal

ROUNDS = 5


def refund_together(app, terminal: TerminalClient, charge_id: str, amounts: list[int]) -> list:
    """Each refund from its own thread and test client, released at the same instant."""
    barrier = threading.Barrier(len(amounts))
    responses: list = [None] * len(amounts)

    def one(i: int, amount: int) -> None:
        own = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret, terminal.merchant_id)
        barrier.wait()
        responses[i] = own.post(f"/api/v1/pos/charges/{charge_id}/refunds", {"amount": amount},
                                key=str(uuid.uuid4()))

    threads = [threading.Thread(target=one, args=(i, a)) for i, a in enumerate(amounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_two_refunds_racing_for_one_charge_give_back_at_most_what_was_charged(app, api):
    # given a customer and a terminal
    terminal = make_terminal(api)
    alice = api.person(balance=ROUNDS * 100)
    phone = phone_of(api, alice)

    for _ in range(ROUNDS):
        # when two refunds of 60 start together against a charge of 100
        sale = charged(terminal, phone, 100)
        responses = refund_together(app, terminal, sale["id"], [60, 60])

        # then exactly one succeeds and the other is told what is left
        outcomes = sorted((r.status_code, r.json.get("error", {}).get("code")) for r in responses)
        assert outcomes == [(201, None), (422, "refund_exceeds_remaining")], [r.json for r in responses]
        assert terminal.get(f"/api/v1/pos/charges/{sale['id']}").json["refunded_amount"] == 60

    # and the money and the ledger agree
    assert balance(api, alice) == ROUNDS * 60
    assert merchant_balance(app, terminal.merchant_id) == ROUNDS * 40
    assert api.verify_ledger() == []

"""Order refunds as one database call (app/checkout/orders/order_refund.sql): many refunds of one
order at once, a merchant whose money sits in its credit buckets, a retry, and a refusal that
writes nothing but its stored answer."""
from __future__ import annotations

import threading
import uuid

from tests.support.ledger import written
from tests.support.merchant_server import MerchantServer, paid_order, refund_order
from tests.support.qr import merchant_balance

THREADS = 10


def refund_together(app, server: MerchantServer, order_id: str, amounts: list[int]) -> list:
    """Each refund from its own thread and test client, released at the same instant."""
    barrier = threading.Barrier(len(amounts))
    answers: list = [None] * len(amounts)

    def one(i: int, amount: int) -> None:
        own = MerchantServer(app.test_client(), server.key, server.merchant_id)
        barrier.wait(timeout=30)
        answers[i] = refund_order(own, order_id, amount, key=str(uuid.uuid4()))

    threads = [threading.Thread(target=one, args=(i, a)) for i, a in enumerate(amounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_ten_refunds_of_one_order_at_once_give_back_at_most_what_was_paid(app, api):
    # given an order of 10.00 paid by a customer who started with 50.00 (the money in the
    # merchant's credit buckets, so the first refund sweeps them)
    server, merchant, customer, order = paid_order(app, api, 1000, money=5000)

    # when ten refunds of 1.50 each arrive at the same moment
    answers = refund_together(app, server, order["id"], [150] * THREADS)

    # then six pass, four are told 1.00 is left, and the money is exact
    passed = [a for a in answers if a.status_code == 201]
    assert len(passed) == 6, [a.json for a in answers]
    assert {(a.status_code, a.json["error"]["code"]) for a in answers if a.status_code != 201} == \
        {(422, "refund_exceeds_remaining")}
    assert sorted(a.json["refunded_amount"] for a in passed) == [150 * n for n in range(1, 7)]
    read = server.get(f"/orders/{order['id']}").json
    assert (read["status"], read["refunded_amount"]) == ("partially_refunded", 900)
    assert api.wallet(customer)["balance"] == 5000 - 1000 + 900
    assert merchant_balance(app, merchant["id"]) == 100
    assert api.verify_ledger() == []


def test_a_retried_order_refund_gets_its_answer_and_a_refused_one_writes_nothing(app, api):
    # given a paid order of 10.00, refunded by 4.00 under a key
    server, _, customer, order = paid_order(app, api, 1000, money=5000)
    first = refund_order(server, order["id"], 400, key="o-1")
    assert first.status_code == 201, first.json
    before = written(app)

    # when the refund is sent again, and a refund of more than is left is tried
    again = refund_order(server, order["id"], 400, key="o-1")
    too_much = refund_order(server, order["id"], 700, key="o-2")
    unknown = refund_order(server, "ord_nothere", 100, key="o-3")

    # then the retry gets the first answer, the others are refused, and nothing was written
    assert (again.status_code, again.json) == (201, first.json)
    assert (too_much.status_code, too_much.json["error"]["code"]) == (422, "refund_exceeds_remaining")
    assert too_much.json["error"]["details"] == {"remaining": 600, "requested": 700}
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "not_found")
    assert written(app) == before
    assert api.wallet(customer)["balance"] == 5000 - 1000 + 400

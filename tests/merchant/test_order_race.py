"""Orders under concurrency (PostgreSQL only: SQLite has no row locks and one writer at a time).

Two refunds of one order queue on the order row, so together they never give back more than
was paid; two creates with one reference meet at the unique constraint; a payment racing a
cancel ends in exactly one of the two (both lock the code row first)."""
from __future__ import annotations

import threading
import uuid

from tests.support.api import Api
from tests.support.merchant_server import MerchantServer, make_order, make_server
from tests.support.qr import merchant_balance, pay

ROUNDS = 5


def together(calls: list) -> list:
    """Run each call in its own thread, released at the same instant; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def one(i: int, call) -> None:
        barrier.wait(timeout=30)
        answers[i] = call()

    threads = [threading.Thread(target=one, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def own_client(app, server: MerchantServer) -> MerchantServer:
    return MerchantServer(app.test_client(), server.key, server.merchant_id)


def outcome(response) -> tuple:
    return response.status_code, (response.json.get("error") or {}).get("code")


def paid_order_for(api, server: MerchantServer, customer, amount: int = 100) -> dict:
    order = make_order(server, amount=amount)
    assert pay(api, customer, order["payload"]).status_code == 201
    return server.get(f"/orders/{order['id']}").json


def test_two_refunds_racing_for_one_order_give_back_at_most_what_was_paid(app, api):
    # given a merchant server and a customer with enough for every round
    _, merchant, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=ROUNDS * 100)

    for _ in range(ROUNDS):
        # when two refunds of 60 start together against a paid order of 100
        order = paid_order_for(api, server, customer)
        answers = together([
            lambda order=order: own_client(app, server).post(f"/orders/{order['id']}/refunds", {"amount": 60},
                                                             key=str(uuid.uuid4()))
            for _ in range(2)])

        # then exactly one succeeds and the other is told what is left
        assert sorted(outcome(r) for r in answers) == [(201, None), (422, "refund_exceeds_remaining")], \
            [r.json for r in answers]
        now = server.get(f"/orders/{order['id']}").json
        assert (now["refunded_amount"], now["status"]) == (60, "partially_refunded")

    # and the money and the ledger agree
    assert api.wallet(customer)["balance"] == ROUNDS * 60
    assert merchant_balance(app, merchant["id"]) == ROUNDS * 40
    assert api.verify_ledger() == []


def test_two_orders_created_at_once_with_one_reference_make_one_order(app, api):
    # given a merchant server
    _, _, server = make_server(app, api)

    for round in range(ROUNDS):
        # when two different requests create an order with the same reference at the same moment
        reference = f"SAME-{round}"
        answers = together([
            lambda amount=amount, reference=reference: own_client(app, server).post(
                "/orders", {"amount": amount, "currency": "USD", "reference": reference})
            for amount in (100, 200)])

        # then one is created and the other is 409 reference_taken (the unique constraint's word)
        assert sorted(outcome(r) for r in answers) == [(201, None), (409, "reference_taken")], \
            [r.json for r in answers]

    assert len(server.get("/orders", query_string={"limit": 100}).json["data"]) == ROUNDS


def test_a_payment_racing_a_cancel_ends_in_exactly_one_of_them(app, api):
    # given a merchant server and a customer
    _, merchant, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=ROUNDS * 100)
    paid = 0

    for _ in range(ROUNDS):
        # when the customer pays an order while the merchant cancels it
        order = make_order(server, amount=100)
        payer = Api(app, app.test_client())
        paying, canceling = together([
            lambda payer=payer, order=order: pay(payer, customer, order["payload"]),
            lambda order=order: own_client(app, server).post(f"/orders/{order['id']}/cancel")])

        # then one wins: paid and the cancel refused, or canceled and the payment refused
        final = server.get(f"/orders/{order['id']}").json
        if paying.status_code == 201:
            paid += 1
            assert outcome(canceling) == (409, "order_not_pending") and final["status"] == "paid"
        else:
            assert outcome(paying) == (409, "qr_canceled") and canceling.status_code == 200
            assert final["status"] == "canceled"

    # and the money matches the orders that were paid
    assert api.wallet(customer)["balance"] == ROUNDS * 100 - paid * 100
    assert merchant_balance(app, merchant["id"]) == paid * 100
    assert api.verify_ledger() == []

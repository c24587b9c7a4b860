"""Online orders over the merchant server API: create, read, list, pay in the app, expire,
cancel and refund; each change that a merchant hears about leaves its event in the outbox."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.core import clock
from tests.support.merchant_server import make_order, make_server, new_order
from tests.support.qr import decode, merchant_balance, pay

ORDER_FIELDS = {"id", "status", "amount", "currency", "reference", "description", "payload", "deep_link",
                "qr_image_url", "transaction_id", "refunded_amount", "expires_at", "created_at", "updated_at"}


def refund(server, order_id: str, amount, *, key: str | None = None):
    return server.post(f"/orders/{order_id}/refunds", {"amount": amount}, key=key or str(uuid.uuid4()))


def events(app, type: str) -> list[dict]:
    from app.extensions import db
    from app.merchant.webhooks.models import WebhookEvent
    with app.app_context():
        rows = db.session.execute(select(WebhookEvent).filter_by(type=type).order_by(WebhookEvent.created_at))
        return [{"merchant_id": e.merchant_id, **json.loads(e.data)} for e in rows.scalars()]


def paid_order(app, api, amount: int = 1000, *, money: int = 5000) -> tuple:
    """A merchant server, a customer who started with `money`, and an order they paid."""
    _, merchant, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=money)
    order = make_order(server, amount=amount)
    assert pay(api, customer, order["payload"]).status_code == 201
    return server, merchant, customer, server.get(f"/orders/{order['id']}").json


# --- creating and reading ----------------------------------------------------------------------

def test_an_order_is_a_payable_dynamic_code_with_a_deep_link(app, api):
    # given a merchant server and a customer's app
    _, _, server = make_server(app, api)
    customer = api.person(name="Carol Customer")

    # when the server creates an order for 12.50
    response = new_order(server, amount=1250, reference="WEB-0042", description="2 croissants", expires_in=900)

    # then it is pending, with a code the app decodes as ours, payable, for that amount
    assert response.status_code == 201, response.json
    order = response.json
    assert set(order) == ORDER_FIELDS and order["id"].startswith("ord_")
    assert (order["status"], order["amount"], order["currency"]) == ("pending", 1250, "USD")
    assert (order["reference"], order["description"], order["refunded_amount"]) == ("WEB-0042", "2 croissants", 0)
    assert order["transaction_id"] is None
    from app.qr import emv
    parsed = emv.decode(order["payload"])
    assert parsed.additional["05"] == "WEB-0042"
    preview = decode(api, customer, order["payload"]).json
    assert (preview["scheme"], preview["payable"]) == ("ours", True)
    assert (preview["amount"], preview["currency"]) == (1250, "USD")
    link = urlsplit(order["deep_link"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "walletapp://pay"
    assert parse_qs(link.query)["payload"] == [order["payload"]]
    lifetime = datetime.fromisoformat(order["expires_at"]) - datetime.fromisoformat(order["created_at"])
    assert lifetime.total_seconds() == 900
    assert server.get(f"/orders/{order['id']}").json == order


def test_a_long_reference_is_kept_whole_on_the_order_and_shortened_in_the_code(app, api):
    # given a reference longer than the 25 characters EMV has room for
    _, _, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=5000)
    reference = "shop-2024-11-checkout-000000000000001234567"

    # when an order is created with it and paid
    order = make_order(server, reference=reference)
    paid = pay(api, customer, order["payload"])

    # then the code carries a 25-character form, the order and the payment the whole reference
    from app.qr import emv
    in_code = emv.decode(order["payload"]).additional["05"]
    assert len(in_code) == 25 and in_code.startswith(reference[:16])
    assert order["reference"] == reference
    assert paid.status_code == 201 and paid.json["reference"] == reference


def test_a_reference_is_unique_per_merchant(app, api):
    # given an order with reference A-1, and another merchant
    _, _, server = make_server(app, api, name="Shop A")
    _, _, other = make_server(app, api, name="Shop B")
    first = make_order(server, reference="A-1")

    # when the same merchant uses A-1 again, and the other merchant uses it
    again = new_order(server, reference="A-1", amount=2000)
    elsewhere = new_order(other, reference="A-1")

    # then the first is 409 reference_taken and the other merchant is free to use it
    assert again.status_code == 409 and again.json["error"]["code"] == "reference_taken"
    assert elsewhere.status_code == 201
    assert [o["id"] for o in server.get("/orders").json["data"]] == [first["id"]]


def test_a_retried_create_with_the_same_key_returns_the_same_order(app, api):
    # given an order created with an Idempotency-Key
    _, _, server = make_server(app, api)
    first = new_order(server, reference="R-1", key="create-1")

    # when the same request is sent again, then the key is reused for another body
    retry = new_order(server, reference="R-1", key="create-1")
    other = new_order(server, reference="R-2", key="create-1")

    # then the retry answers the first order and nothing new exists; the misuse is a conflict
    assert first.status_code == 201 and retry.status_code == 201
    assert retry.json == first.json
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_conflict"
    assert len(server.get("/orders").json["data"]) == 1


def test_another_merchants_key_cannot_read_refund_or_cancel_an_order(app, api):
    # given merchant B's paid order, and merchant A's server
    _, _, server_a = make_server(app, api, name="Shop A")
    server_b, _, _, order = paid_order(app, api)

    # when A's key reads, refunds and cancels it, and lists its orders
    read = server_a.get(f"/orders/{order['id']}")
    refunded = refund(server_a, order["id"], 100)
    canceled = server_a.post(f"/orders/{order['id']}/cancel")
    missing = server_a.get("/orders/ord_doesnotexist")

    # then each is a 404 exactly like a missing order, and A lists nothing
    assert [r.status_code for r in (read, refunded, canceled)] == [404, 404, 404]
    assert read.json == missing.json
    assert server_a.get("/orders").json["data"] == []
    assert server_b.get(f"/orders/{order['id']}").json["refunded_amount"] == 0


def test_bad_order_input_is_422_and_creates_nothing(app, api):
    _, _, server = make_server(app, api)

    bad = [{"amount": 12.5}, {"amount": 0}, {"currency": "XYZ"}, {"reference": ""}, {"reference": "é-1"},
           {"reference": "x" * 65}, {"expires_in": 4}, {"expires_in": 86401}, {"description": "a\nb"},
           {"tip": 100}]
    for change in bad:
        body = {"amount": 100, "currency": "USD", "reference": "OK-1"} | change
        response = server.post("/orders", body)
        assert response.status_code == 422, (change, response.json)

    assert server.get("/orders").json["data"] == []


# --- listing -----------------------------------------------------------------------------------

def test_pages_of_orders_neither_skip_nor_repeat_while_new_orders_arrive(app, api):
    # given seven orders
    _, _, server = make_server(app, api)
    created = [make_order(server, reference=f"P-{i}")["id"] for i in range(7)]

    # when they are read three at a time, with two new orders created after the first page
    seen, cursor, pages = [], None, 0
    while True:
        response = server.get("/orders", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json
        seen += [o["id"] for o in response.json["data"]]
        pages += 1
        if pages == 1:
            make_order(server, reference="LATE-1")
            make_order(server, reference="LATE-2")
        if not response.json["has_more"]:
            break
        cursor = response.json["next_cursor"]

    # then the seven come newest first, each once, and the late ones did not shift the pages
    assert seen == list(reversed(created))
    assert pages == 3


def test_orders_are_listed_by_status_with_expired_read_from_the_clock(app, api):
    # given a paid order, a canceled one, and one that runs out
    server, _, _, paid = paid_order(app, api)
    canceled = make_order(server)
    assert server.post(f"/orders/{canceled['id']}/cancel").status_code == 200
    running_out = make_order(server, expires_in=60)
    clock.advance(61)
    still_open = make_order(server)

    def ids(status):
        response = server.get("/orders", query_string={"status": status})
        assert response.status_code == 200, response.json
        return [o["id"] for o in response.json["data"]]

    # when each status is asked for, then each order shows under its own only
    assert ids("pending") == [still_open["id"]]
    assert ids("expired") == [running_out["id"]]
    assert ids("paid") == [paid["id"]]
    assert ids("canceled") == [canceled["id"]]
    assert ids("refunded") == []
    assert server.get("/orders", query_string={"status": "lost"}).status_code == 422


def test_a_cursor_we_did_not_issue_is_422(app, api):
    _, _, server = make_server(app, api)

    for cursor in ("nonsense", "eyJwIjoxfQ", "e30"):
        response = server.get("/orders", query_string={"cursor": cursor})
        assert response.status_code == 422 and response.json["error"]["code"] == "validation_error", cursor


# --- paying ------------------------------------------------------------------------------------

def test_paying_an_order_in_the_app_marks_it_paid_and_tells_the_merchant(app, api):
    # given an order for 10.00 and a customer with 50.00
    _, merchant, server = make_server(app, api)
    customer = api.person(name="Carol Customer", balance=5000)
    order = make_order(server, amount=1000, reference="PAY-1")

    # when the customer pays its payload with the ordinary QR payment
    paid = pay(api, customer, order["payload"], key=str(uuid.uuid4()))

    # then the order is paid with that transaction, the money moved, and both events are written
    assert paid.status_code == 201, paid.json
    now = server.get(f"/orders/{order['id']}").json
    assert (now["status"], now["transaction_id"]) == ("paid", paid.json["id"])
    assert api.wallet(customer)["balance"] == 4000 and merchant_balance(app, merchant["id"]) == 1000
    [payment_event] = events(app, "payment.succeeded")
    assert payment_event.pop("created_at")
    assert payment_event == {"merchant_id": merchant["id"], "id": paid.json["id"], "transaction_id": paid.json["id"],
                             "amount": 1000, "currency": "USD", "reference": "PAY-1",
                             "qr_code_id": paid.json["qr_code_id"], "terminal_id": None, "order_id": order["id"],
                             "fee": 0}
    [order_event] = events(app, "order.paid")
    assert (order_event["id"], order_event["status"], order_event["transaction_id"]) == (order["id"], "paid",
                                                                                          paid.json["id"])
    assert api.verify_ledger() == []


def test_an_order_is_paid_once(app, api):
    # given a paid order and a second customer
    server, _, _, order = paid_order(app, api)
    second = api.person(name="Second Customer", balance=5000)

    # when the second customer pays the same payload
    response = pay(api, second, order["payload"])

    # then it is 409 qr_already_paid and nothing moved
    assert response.status_code == 409 and response.json["error"]["code"] == "qr_already_paid"
    assert api.wallet(second)["balance"] == 5000
    assert server.get(f"/orders/{order['id']}").json["transaction_id"] == order["transaction_id"]
    assert len(events(app, "order.paid")) == 1


def test_every_qr_payment_tells_the_merchant_even_without_an_order(app, api):
    # given a static code issued by staff
    from tests.support.qr import make_code
    owner, merchant, _ = make_server(app, api)
    code = make_code(api, owner, merchant, kind="static")
    customer = api.person(name="Carol Customer", balance=5000)

    # when a customer pays 3.00 with it
    paid = pay(api, customer, code["payload"], amount=300)

    # then a payment.succeeded event names no order
    assert paid.status_code == 201
    assert [(e["id"], e["amount"], e["order_id"]) for e in events(app, "payment.succeeded")] == [(paid.json["id"], 300,
                                                                                                 None)]


# --- expiry and cancel -------------------------------------------------------------------------

def test_an_unpaid_order_expires_and_the_job_writes_it_down_once(app, api):
    # given an order that lives 60 s, and another that was paid
    server, merchant, customer, paid = paid_order(app, api)
    order = make_order(server, expires_in=60)

    # when 61 s pass
    clock.advance(61)
    read = server.get(f"/orders/{order['id']}").json
    late = pay(api, customer, order["payload"])
    first_run = app.test_cli_runner().invoke(args=["orders", "expire"])
    second_run = app.test_cli_runner().invoke(args=["orders", "expire"])

    # then it reads expired at once, cannot be paid, and the job marks it and emits one event
    assert read["status"] == "expired"
    assert late.status_code == 410 and late.json["error"]["code"] == "qr_expired"
    assert first_run.exit_code == 0 and "expired 1 order(s)" in first_run.output
    assert second_run.exit_code == 0 and "expired 0 order(s)" in second_run.output
    [event] = events(app, "order.expired")
    assert (event["merchant_id"], event["id"], event["status"]) == (merchant["id"], order["id"], "expired")
    from app.extensions import db
    from app.checkout.orders.models import Order
    with app.app_context():
        assert db.session.get(Order, order["id"]).status == "expired"
        assert db.session.get(Order, paid["id"]).status == "paid"


def test_canceling_a_pending_order_makes_its_code_unpayable(app, api):
    # given a pending order
    server, _, customer, paid = paid_order(app, api)
    order = make_order(server)

    # when the merchant cancels it, then the customer pays, and the merchant cancels a paid one
    canceled = server.post(f"/orders/{order['id']}/cancel")
    late = pay(api, customer, order["payload"])
    too_late = server.post(f"/orders/{paid['id']}/cancel")

    # then it is canceled with its event, the code refused, and the paid order stays paid
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert late.status_code == 409 and late.json["error"]["code"] == "qr_canceled"
    assert too_late.status_code == 409 and too_late.json["error"]["code"] == "order_not_pending"
    assert [e["id"] for e in events(app, "order.canceled")] == [order["id"]]


# --- refunds -----------------------------------------------------------------------------------

def test_a_partial_then_a_full_refund_give_back_exactly_what_was_paid(app, api):
    # given a paid order of 10.00 (the customer started with 50.00)
    server, merchant, customer, order = paid_order(app, api, 1000)

    # when the merchant refunds 3.00, then the 7.00 left
    first = refund(server, order["id"], 300)
    after_first = server.get(f"/orders/{order['id']}").json
    second = refund(server, order["id"], 700)

    # then the order goes partially_refunded, then refunded, and the money is back
    assert first.status_code == 201, first.json
    assert first.json["id"].startswith("txn_") and first.json["payment_id"] == order["transaction_id"]
    assert (first.json["amount"], first.json["order_status"], first.json["remaining"]) == (300, "partially_refunded",
                                                                                           700)
    assert (after_first["status"], after_first["refunded_amount"]) == ("partially_refunded", 300)
    assert second.status_code == 201 and (second.json["order_status"], second.json["remaining"]) == ("refunded", 0)
    assert server.get(f"/orders/{order['id']}").json["refunded_amount"] == 1000
    assert api.wallet(customer)["balance"] == 5000 and merchant_balance(app, merchant["id"]) == 0
    assert [e["id"] for e in events(app, "refund.succeeded")] == [first.json["id"], second.json["id"]]
    assert api.verify_ledger() == []


def test_a_refund_shows_in_the_customers_history_against_the_payment(app, api):
    # given a paid order that is partly refunded
    server, _, customer, order = paid_order(app, api, 1000)
    refunded = refund(server, order["id"], 400).json

    # when the customer reads their history
    history = api.get(f"/api/v1/wallets/{customer.wallet_id}/transactions", customer).json["data"]

    # then the refund is the newest row, money in, with the order's reference
    assert (history[0]["id"], history[0]["type"], history[0]["amount"]) == (refunded["id"], "refund", 400)
    assert history[0]["reference"] == order["reference"]
    assert history[1]["id"] == order["transaction_id"] and history[1]["amount"] == -1000
    from app.extensions import db
    from app.wallet.models import Transaction
    with app.app_context():
        assert db.session.get(Transaction, refunded["id"]).related_id == order["transaction_id"]


def test_a_refund_above_what_is_left_is_422_and_moves_nothing(app, api):
    # given a paid order of 10.00, 6.00 of it refunded
    server, _, customer, order = paid_order(app, api, 1000)
    assert refund(server, order["id"], 600).status_code == 201

    # when 5.00 more is asked for
    response = refund(server, order["id"], 500)

    # then it is refused naming what is left, and nothing moved
    assert response.status_code == 422 and response.json["error"]["code"] == "refund_exceeds_remaining"
    assert response.json["error"]["details"] == {"remaining": 400, "requested": 500}
    assert server.get(f"/orders/{order['id']}").json["refunded_amount"] == 600
    assert api.wallet(customer)["balance"] == 4600
    assert api.verify_ledger() == []


def test_only_a_paid_order_can_be_refunded(app, api):
    # given a pending order and a fully refunded one
    server, _, _, order = paid_order(app, api, 1000)
    pending = make_order(server)
    assert refund(server, order["id"], 1000).status_code == 201

    # when each is refunded
    of_pending = refund(server, pending["id"], 100)
    of_refunded = refund(server, order["id"], 1)

    # then both are 409 order_not_refundable, naming the status
    assert of_pending.status_code == 409 and of_pending.json["error"]["code"] == "order_not_refundable"
    assert of_pending.json["error"]["details"] == {"status": "pending"}
    assert of_refunded.status_code == 409 and of_refunded.json["error"]["details"] == {"status": "refunded"}


def test_a_retried_refund_gives_money_back_once(app, api):
    # given a paid order
    server, _, customer, order = paid_order(app, api, 1000)

    # when the same refund is sent twice with one key
    first = refund(server, order["id"], 300, key="refund-1")
    retry = refund(server, order["id"], 300, key="refund-1")

    # then the second answers the first, and 3.00 came back once
    assert first.status_code == 201 and retry.status_code == 201 and retry.json == first.json
    assert api.wallet(customer)["balance"] == 4300
    assert len(events(app, "refund.succeeded")) == 1


def test_staff_read_the_orders_with_their_own_token_and_the_same_filters(app, api):
    # given a merchant server's two orders, one paid, and a cashier of that merchant
    owner, merchant, server = make_server(app, api)
    cashier = api.person(name="Carl Cashier")
    assert api.post(f"/api/v1/merchants/{merchant['id']}/staff", owner,
                    json={"identifier": cashier.identifier, "role": "cashier"}).status_code == 201
    waiting = make_order(server, amount=700)
    paid = make_order(server, amount=1200)
    assert pay(api, api.person(name="Payer", balance=5000), paid["payload"]).status_code == 201
    base = f"/api/v1/merchants/{merchant['id']}/orders"

    # then staff of any role list them newest first, filter on status, and page on the cursor
    listed = api.get(base, cashier)
    assert listed.status_code == 200 and [o["id"] for o in listed.json["data"]] == [paid["id"], waiting["id"]]
    assert [o["id"] for o in api.get(f"{base}?status=paid", owner).json["data"]] == [paid["id"]]
    first = api.get(f"{base}?limit=1", owner).json
    assert first["has_more"] and api.get(f"{base}?limit=1&cursor={first['next_cursor']}", owner).json["data"][0]["id"] \
        == waiting["id"]
    # and neither a stranger nor the server's API key reads them here
    assert api.get(base, api.person(name="Stranger")).status_code == 404
    assert app.test_client().get(base, headers={"Authorization": f"Bearer {server.key}"}).status_code == 401

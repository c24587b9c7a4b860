"""Long polls on a payment request: `?wait=N` answers at once when the status is final, after N
seconds when nothing happens, and the moment the customer pays (measured over real HTTP)."""
from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.support.terminals import TerminalClient, make_terminal
from tests.support.waiting import until_waiting_on_payment_request

REQUESTS = "/api/v1/pos/payment-requests"
WAKE_UP_BUDGET = 0.100  # seconds between the payment's answer and the terminal's


@pytest.fixture
def terminal(api):
    return make_terminal(api)


def present(terminal) -> dict:
    response = terminal.post(REQUESTS, json={"amount": 1250, "currency": "USD", "reference": "T1-0042"})
    assert response.status_code == 201, response.json
    return response.json


def timed_get(terminal, request_id, wait):
    started = time.monotonic()
    response = terminal.get(f"{REQUESTS}/{request_id}", query={"wait": wait})
    return response, time.monotonic() - started


def test_wait_zero_answers_pending_at_once(terminal):
    created = present(terminal)

    response, took = timed_get(terminal, created["id"], 0)

    assert (response.status_code, response.json["status"]) == (200, "pending")
    assert took < 0.5


def test_a_wait_on_a_pending_request_answers_pending_when_the_time_is_up(terminal):
    created = present(terminal)

    response, took = timed_get(terminal, created["id"], 1)

    assert (response.status_code, response.json["status"]) == (200, "pending")
    assert 0.9 <= took < 2.5


def test_a_wait_on_a_final_request_answers_at_once(terminal):
    # given a canceled request
    created = present(terminal)
    assert terminal.post(f"{REQUESTS}/{created['id']}/cancel").status_code == 200

    # when the terminal waits up to 10 s on it
    response, took = timed_get(terminal, created["id"], 10)

    # then the answer is immediate
    assert response.json["status"] == "canceled" and took < 0.5


def test_a_wait_above_thirty_seconds_is_422(terminal):
    created = present(terminal)

    response = terminal.get(f"{REQUESTS}/{created['id']}", query={"wait": 31})

    assert (response.status_code, response.json["error"]["code"]) == (422, "validation_error")


def test_a_waiting_terminal_holds_no_database_connection_and_wakes_on_cancel(app, api):
    # given a terminal long-polling its request from another thread
    terminal = make_terminal(api)
    created = present(terminal)
    # the same terminal on a client of its own: test clients are not shared across threads
    poller = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret)
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(timed_get(poller, created["id"], 5)))
    waiter.start()
    until_waiting_on_payment_request(app, created["id"])

    # when we look at the pool while it waits, then cancel the request
    with app.app_context():
        checked_out = db.engine.pool.checkedout()
    assert terminal.post(f"{REQUESTS}/{created['id']}/cancel").status_code == 200
    waiter.join(timeout=10)

    # then no connection was held, and the waiter answered canceled well before its 5 s
    assert checked_out == 0
    (response, took), = answers
    assert response.json["status"] == "canceled" and took < 2.0


# --- over real HTTP ------------------------------------------------------------------------------

@pytest.fixture
def server(app):
    """The app in a threaded HTTP server on 127.0.0.1 (a random free port)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=5)


def http_call(port, method, path, *, headers=None, body=b""):
    """(status, json, time.monotonic() when the whole answer had arrived)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data), time.monotonic()
    finally:
        conn.close()


def test_a_waiting_terminal_hears_of_the_payment_within_100_ms_over_http(app, api, server, capsys):
    # given a pending request, a customer with money, and a terminal long-polling over HTTP
    terminal = make_terminal(api)
    payer = api.person(name="Customer", balance=5000)
    created = present(terminal)
    wait_path = f"{REQUESTS}/{created['id']}?wait=10"
    results = {}

    def terminal_waits():
        results["wait"] = http_call(server, "GET", wait_path, headers=terminal.headers("GET", wait_path, b""))

    def customer_pays():
        body = json.dumps({"payload": created["payload"], "wallet_id": payer.wallet_id}).encode()
        results["pay"] = http_call(server, "POST", "/api/v1/qr/payments", body=body,
                                   headers={**payer.auth, "Content-Type": "application/json"})

    waiting = threading.Thread(target=terminal_waits)
    waiting.start()
    until_waiting_on_payment_request(app, created["id"])  # the server runs in this process

    # when the customer pays from another thread
    paying = threading.Thread(target=customer_pays)
    paying.start()
    paying.join(timeout=15)
    waiting.join(timeout=15)

    # then the terminal got "succeeded" within 100 ms of the payment's answer
    pay_status, paid, paid_at = results["pay"]
    wait_status, seen, seen_at = results["wait"]
    assert pay_status == 201, paid
    assert wait_status == 200 and (seen["status"], seen["transaction_id"]) == ("succeeded", paid["id"])
    latency = seen_at - paid_at
    with capsys.disabled():
        print(f"\nwake-up latency (terminal's answer minus payment's answer): {latency * 1000:.1f} ms")
    assert latency < WAKE_UP_BUDGET

"""A process holds at most LONG_POLL_MAX_WAITERS long polls at once (`?wait=N` on a payment request
or a charge); beyond that a wait is 503 too_many_waiters with Retry-After, at once, instead of
holding one more server thread. Real threads against the app, synchronised on the notifier's
count of waiters, not on sleeps.

Shown to fail: with long_poll passing no bound (max_waiters=None), the third waiter was answered
200 "pending" after its whole 20 s wait instead of 503 at once."""
from __future__ import annotations

import threading

import pytest

from app.config import load_config
from tests.support.terminals import make_terminal
from tests.support.payment_codes import charged, phone_of, set_pin
from tests.support.terminals import TerminalClient

REQUESTS = "/api/v1/pos/payment-requests"
LIMIT = 2


@pytest.fixture
def notifier(app, monkeypatch):
    monkeypatch.setitem(app.config, "LONG_POLL_MAX_WAITERS", LIMIT)
    notifier = app.extensions["notifier"]
    assert notifier.waiting == 0
    return notifier


def present(terminal) -> str:
    response = terminal.post(REQUESTS, json={"amount": 1250, "currency": "USD", "reference": "T1-0042"})
    assert response.status_code == 201, response.json
    return response.json["id"]


class Waiter:
    """A terminal long-polling on its own test client, in its own thread."""

    def __init__(self, app, terminal, path: str, wait: float = 20):
        self.client = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret)
        self.path, self.wait, self.response = path, wait, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.response = self.client.get(self.path, query={"wait": self.wait})

    def answer(self):
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the waiter never answered"
        return self.response


def test_waits_beyond_the_limit_are_503_with_retry_after_and_a_freed_slot_is_taken_again(app, api, notifier):
    # given a terminal with three pending payment requests, two of them long-polled (the limit)
    terminal = make_terminal(api)
    first, second, third = (present(terminal) for _ in range(3))
    waiters = [Waiter(app, terminal, f"{REQUESTS}/{first}"), Waiter(app, terminal, f"{REQUESTS}/{second}")]
    assert notifier.wait_for_waiters(LIMIT, timeout=10)

    # when a third wait comes in
    refused = terminal.get(f"{REQUESTS}/{third}", query={"wait": 20})

    # then it is refused at once, saying when to come back; nothing else changed
    assert refused.status_code == 503, refused.json
    error = refused.json["error"]
    assert error["code"] == "too_many_waiters" and error["details"]["max_waiters"] == LIMIT
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert notifier.waiting == LIMIT
    # a plain read (wait=0) and a wait on a request that is already final hold no slot: answered
    assert terminal.get(f"{REQUESTS}/{third}").json["status"] == "pending"
    assert terminal.post(f"{REQUESTS}/{third}/cancel").status_code == 200
    assert terminal.get(f"{REQUESTS}/{third}", query={"wait": 20}).json["status"] == "canceled"

    # when the first request is canceled, its waiter answers and its slot is free again
    assert terminal.post(f"{REQUESTS}/{first}/cancel").status_code == 200
    assert waiters[0].answer().json["status"] == "canceled"
    assert notifier.wait_for_waiters(LIMIT - 1, timeout=10)
    fourth = present(terminal)
    waiters.append(Waiter(app, terminal, f"{REQUESTS}/{fourth}"))
    assert notifier.wait_for_waiters(LIMIT, timeout=10)

    # then, once everything is canceled, every waiter answered and no slot is left taken
    for request_id in (second, fourth):
        assert terminal.post(f"{REQUESTS}/{request_id}/cancel").status_code == 200
    assert [w.answer().json["status"] for w in waiters[1:]] == ["canceled", "canceled"]
    assert notifier.wait_for_waiters(0, timeout=10)


def test_a_charge_wait_shares_the_same_limit(app, api, notifier):
    # given a charge waiting for the customer's approval, and the limit taken by payment requests
    terminal = make_terminal(api)
    alice = api.person(name="Alice", balance=50_000)
    set_pin(api, alice)
    made = charged(terminal, phone_of(api, alice), 15_000)
    assert made["status"] == "requires_confirmation"
    requests = [present(terminal) for _ in range(LIMIT)]
    waiters = [Waiter(app, terminal, f"{REQUESTS}/{r}") for r in requests]
    assert notifier.wait_for_waiters(LIMIT, timeout=10)

    # when the terminal long-polls the charge
    refused = terminal.get(f"/api/v1/pos/charges/{made['id']}", query={"wait": 10})

    # then it is 503 too_many_waiters too; without wait it reads the charge as usual
    assert (refused.status_code, refused.json["error"]["code"]) == (503, "too_many_waiters")
    assert "Retry-After" in refused.headers
    assert terminal.get(f"/api/v1/pos/charges/{made['id']}").json["status"] == "requires_confirmation"
    for request_id in requests:
        terminal.post(f"{REQUESTS}/{request_id}/cancel")
    assert [w.answer().status_code for w in waiters] == [200, 200]


def test_the_openapi_document_declares_the_503_on_both_long_polls(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/pos/payment-requests/{request_id}", "/api/v1/pos/charges/{charge_id}"):
        assert "503" in paths[path]["get"]["responses"], path


def test_the_default_keeps_waiters_to_half_of_a_gunicorn_workers_four_threads(tmp_path):
    assert load_config(tmp_path, env={})["LONG_POLL_MAX_WAITERS"] == 2
    assert load_config(tmp_path, env={"LONG_POLL_MAX_WAITERS": "16"})["LONG_POLL_MAX_WAITERS"] == 16

"""Synchronising with a long poll: a test that must wake a waiting terminal first waits until the
terminal is waiting, by asking the notifier (app/core/notify.py), never by sleeping and hoping."""
from __future__ import annotations

from app.pos.charges.services import channel as charge_channel
from app.pos.payment_requests.services import _channel as payment_request_channel


def until_waiting(app, channel: str, timeout: float = 10.0) -> None:
    """Return once a long poll in this process is asleep on `channel`; fail after `timeout` s."""
    assert app.extensions["notifier"].wait_for_waiter(channel, timeout), \
        f"no long poll was waiting on {channel!r} within {timeout} s"


def until_waiting_on_charge(app, charge_id: str, timeout: float = 10.0) -> None:
    """A terminal's GET /pos/charges/{id}?wait=N is in its long poll."""
    until_waiting(app, charge_channel(charge_id), timeout)


def until_waiting_on_payment_request(app, request_id: str, timeout: float = 10.0) -> None:
    """A terminal's GET /pos/payment-requests/{id}?wait=N is in its long poll."""
    until_waiting(app, payment_request_channel(request_id), timeout)

"""The notifier's long-poll wake-ups, how a test learns that a waiter is waiting, and the bound on
long polls per process (places taken and given back; a refusal says when the soonest wait ends)."""
from __future__ import annotations

import threading
import time

import pytest

from app.core.errors import AppError, Code
from app.core.notify import Notifier, wait_until


def test_wait_for_waiter_is_false_while_nobody_waits_on_the_channel():
    notifier = Notifier(None)

    assert notifier.wait_for_waiter("charge:chg_1", timeout=0.05) is False


def test_wait_for_waiter_returns_once_the_waiter_has_checked_and_a_publish_then_wakes_it():
    # given a long poll on one channel, in another thread, whose condition is not met yet
    notifier, paid, checks, results = Notifier(None), threading.Event(), [], []

    def check() -> bool:
        checks.append(paid.is_set())
        return paid.is_set()

    waiter = threading.Thread(target=lambda: results.append(wait_until(check, notifier, "qr:qr_1", timeout=10)))
    waiter.start()

    # when the test asks whether it waits, then pays and publishes
    waiting = notifier.wait_for_waiter("qr:qr_1", timeout=5)
    checked_before = list(checks)
    paid.set()
    published_at = time.monotonic()
    notifier.publish("qr:qr_1")
    waiter.join(timeout=5)

    # then it was waiting, having checked once, and the publish woke it at once with the news
    assert waiting is True and checked_before and not any(checked_before)
    assert results == [True] and time.monotonic() - published_at < 0.4
    assert notifier.wait_for_waiter("qr:qr_1", timeout=0) is False  # gone once it has answered
    assert notifier.wait_for_waiter("qr:other", timeout=0) is False


def test_a_waiter_beyond_the_bound_is_refused_with_the_soonest_deadline_as_retry_after():
    notifier = Notifier(None)
    now = time.monotonic()
    with notifier.sleeping(now + 30, max_waiters=2), notifier.sleeping(now + 7.2, max_waiters=2):
        assert notifier.waiting == 2
        with pytest.raises(AppError) as refused:
            with notifier.sleeping(now + 30, max_waiters=2):
                pass
        assert refused.value.code == Code.TOO_MANY_WAITERS and refused.value.status == 503
        assert refused.value.headers["Retry-After"] == "8"
        assert refused.value.details == {"max_waiters": 2, "retry_after": 8}
    assert notifier.waiting == 0
    with notifier.sleeping(now + 30, max_waiters=2):  # free again
        assert notifier.waiting == 1


def test_a_check_that_is_already_true_takes_no_place_even_when_all_are_taken():
    notifier = Notifier(None)
    with notifier.sleeping(time.monotonic() + 30, max_waiters=1):
        assert wait_until(lambda: "final", notifier, "qr:x", timeout=5, max_waiters=1) == "final"
        with pytest.raises(AppError):
            wait_until(lambda: None, notifier, "qr:y", timeout=5, max_waiters=1)


def test_a_sleeping_waiter_is_counted_until_it_is_woken():
    notifier = Notifier(None)
    state = {"done": False}
    waiter = threading.Thread(target=lambda: wait_until(lambda: state["done"], notifier, "qr:z", timeout=10,
                                                       max_waiters=1))
    waiter.start()
    assert notifier.wait_for_waiters(1, timeout=5)
    state["done"] = True
    notifier.publish("qr:z")
    assert notifier.wait_for_waiters(0, timeout=5)
    waiter.join(timeout=5)
    assert not waiter.is_alive()

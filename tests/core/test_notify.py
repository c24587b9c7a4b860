"""The notifier's bound on sleeping waiters, without an app: places are taken and given back, and
a refusal says when the soonest current wait runs out."""
from __future__ import annotations

import threading
import time

import pytest

from app.core.errors import AppError, Code
from app.core.notify import Notifier, wait_until


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

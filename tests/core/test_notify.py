"""The notifier's long-poll wake-ups, and how a test learns that a waiter is waiting."""
from __future__ import annotations

import threading
import time

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

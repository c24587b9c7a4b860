"""Wake-ups for long polls: a terminal waits on a channel until a payment commits.

    notifier.publish("qr:qr_abc")                            # after the commit that changed it
    wait_until(check, notifier, "qr:qr_abc", timeout=5.0)     # check() until truthy or timeout
    notifier.wait_for_waiter("qr:qr_abc", timeout=5.0)        # True once a wait_until is asleep there

With Redis, one listener thread per process subscribes to every channel and wakes local
waiters, so a payment served by one process wakes a terminal waiting in another. Without Redis
(the embedded default) wake-ups are per process; waiters therefore also re-check the database
every POLL_WITHOUT_REDIS seconds, which keeps several processes correct, only slower.
A waiter holds a thread but no database connection: callers end their transaction first.

A waiter holds a server thread, though, so a process lets at most LONG_POLL_MAX_WAITERS of them
sleep at once (long_poll); one more is refused at once with 503 too_many_waiters and a
Retry-After of when the soonest current wait runs out, rather than leaving payments without a
thread. The bound is counted when a waiter is about to sleep, after its first check: a read
that finds the answer final, or a wait=0, never takes a place.
"""
from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import defaultdict
from contextlib import contextmanager

import redis

from app.core.observability import LONG_POLLS
from app.core.errors import AppError, Code

log = logging.getLogger(__name__)
POLL_WITHOUT_REDIS = 0.5
MAX_SLEEP_WITH_REDIS = 2.0


class Notifier:
    def __init__(self, redis_url: str | None = None, prefix: str = "wallet:"):
        # Publishing uses short timeouts; the subscriber must not time out while nothing happens.
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2) if redis_url else None
        self._subscriber = redis.Redis.from_url(redis_url, socket_connect_timeout=2,
                                                health_check_interval=30) if redis_url else None
        self._pattern = f"{prefix}notify:"
        self._waiters: dict[str, set[threading.Event]] = defaultdict(set)
        self._asleep: dict[str, int] = defaultdict(int)  # waiters asleep in wait_until, per channel
        self._lock = threading.Lock()
        self._asleep_changed = threading.Condition(self._lock)
        self._listener: threading.Thread | None = None
        # The long polls of this process between their first check and their answer (a token
        # each -> its deadline, time.monotonic()), for the LONG_POLL_MAX_WAITERS bound.
        self._sleepers: dict[int, float] = {}
        self._sleepers_changed = threading.Condition()
        self._tokens = itertools.count()

    @property
    def waiting(self) -> int:
        """How many long polls of this process hold a place now (see `sleeping`)."""
        with self._sleepers_changed:
            return len(self._sleepers)

    def wait_for_waiters(self, count: int, timeout: float) -> bool:
        """Block until exactly `count` long polls hold a place (tests synchronise on this)."""
        with self._sleepers_changed:
            return self._sleepers_changed.wait_for(lambda: len(self._sleepers) == count, timeout)

    @contextmanager
    def sleeping(self, deadline: float, max_waiters: int | None):
        """A place among this process's long polls until `deadline`, or 503 too_many_waiters if
        `max_waiters` already hold one (None: no bound)."""
        with self._sleepers_changed:
            if max_waiters is not None and len(self._sleepers) >= max_waiters:
                soonest = min(self._sleepers.values(), default=time.monotonic())
                retry_after = max(1, math.ceil(soonest - time.monotonic()))
                raise AppError(Code.TOO_MANY_WAITERS, f"this server already holds {max_waiters} long polls; "
                               "ask again without wait, or wait after Retry-After seconds",
                               {"max_waiters": max_waiters, "retry_after": retry_after},
                               headers={"Retry-After": str(retry_after)})
            token = next(self._tokens)
            self._sleepers[token] = deadline
            self._sleepers_changed.notify_all()
        LONG_POLLS.inc()
        try:
            yield
        finally:
            LONG_POLLS.dec()
            with self._sleepers_changed:
                del self._sleepers[token]
                self._sleepers_changed.notify_all()

    @property
    def cross_process(self) -> bool:
        return self._redis is not None

    def publish(self, channel: str) -> None:
        self._wake(channel)
        if self._redis is not None:
            try:
                self._redis.publish(self._pattern + channel, "1")
            except redis.RedisError:
                log.warning("could not publish wake-up %s; waiters will see it on their next check", channel)

    @contextmanager
    def subscription(self, channel: str):
        """An Event that publish(channel) sets, for as long as the block runs."""
        self._ensure_listener()
        event = threading.Event()
        with self._lock:
            self._waiters[channel].add(event)
        try:
            yield event
        finally:
            with self._lock:
                self._waiters[channel].discard(event)
                if not self._waiters[channel]:
                    del self._waiters[channel]

    def sleep(self, channel: str, event: threading.Event, seconds: float) -> None:
        """Wait up to `seconds` for `event` (from subscription(channel)), counted meanwhile as
        asleep on the channel."""
        with self._asleep_changed:
            self._asleep[channel] += 1
            self._asleep_changed.notify_all()
        try:
            event.wait(seconds)
        finally:
            with self._lock:
                self._asleep[channel] -= 1
                if not self._asleep[channel]:
                    del self._asleep[channel]

    def wait_for_waiter(self, channel: str, timeout: float) -> bool:
        """Block until someone is asleep in wait_until on `channel` (True), or `timeout` passes
        (False). Asleep means subscribed and done with its check, its connection handed back: a
        publish from now on wakes it. For tests, which must not publish before a waiter waits,
        and must not sleep and hope that it does; this process's waiters only."""
        with self._asleep_changed:
            return self._asleep_changed.wait_for(lambda: self._asleep.get(channel, 0) > 0, timeout)

    def _wake(self, channel: str) -> None:
        with self._lock:
            for event in self._waiters.get(channel, ()):
                event.set()

    def _ensure_listener(self) -> None:
        if self._redis is None or (self._listener is not None and self._listener.is_alive()):
            return
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="notify-listener", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        """Subscribe and dispatch forever; reconnect after Redis restarts (with a short pause)."""
        while True:
            try:
                pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(self._pattern + "*")
                for message in pubsub.listen():
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    self._wake(channel[len(self._pattern):])
            except redis.RedisError:
                log.warning("wake-up listener lost Redis; reconnecting", exc_info=True)
                time.sleep(0.5)


def wait_until(check, notifier: Notifier, channel: str, timeout: float, *, max_waiters: int | None = None):
    """Call check() until it returns something truthy or `timeout` passes, sleeping on the
    channel in between. Subscribed before the first check and cleared before each one, so a
    publish that lands between a check and the sleep is not lost. Returns check()'s last result.
    Before its first sleep it takes a place among at most `max_waiters` long polls (503 beyond).
    """
    deadline = time.monotonic() + timeout
    with notifier.subscription(channel) as event:
        event.clear()
        result = check()
        if result or deadline - time.monotonic() <= 0:
            return result
        with notifier.sleeping(deadline, max_waiters):
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return result
                # Without Redis another process's publish never reaches us: poll. With Redis, a
                # bounded sleep still covers a message lost while the listener (re)connects.
                notifier.sleep(channel, event,
                               min(left, MAX_SLEEP_WITH_REDIS if notifier.cross_process else POLL_WITHOUT_REDIS))
                event.clear()
                result = check()
                if result:
                    return result


def long_poll(check, channel: str, timeout: float):
    """wait_until on this app's notifier, bounded by its LONG_POLL_MAX_WAITERS."""
    from flask import current_app
    return wait_until(check, get_notifier(), channel, timeout,
                      max_waiters=current_app.config["LONG_POLL_MAX_WAITERS"])


def get_notifier() -> Notifier:
    from flask import current_app
    return current_app.extensions["notifier"]

"""The webhook worker (`flask webhooks work`): sends due deliveries from the outbox.

One round:
1. claim   (one short transaction) due deliveries: pending, next_attempt_at <= now, picked with
           FOR UPDATE SKIP LOCKED on PostgreSQL, so workers running at once take different rows.
           Each gets a lease (next_attempt_at = now + WEBHOOK_LEASE) and its attempt is counted,
           and the transaction COMMITS before anything is sent: no HTTP call ever holds a
           database transaction or lock, and another worker sees the row as not due.
2. send    over HTTP with urllib, the round's deliveries in parallel threads (no database
           there), WEBHOOK_TIMEOUT seconds, redirects not followed (a 3xx is a failure), and in
           production only to public addresses, checked at connect time (webhook_transport).
3. record  (one short transaction) an attempt row and the outcome: 2xx succeeded; otherwise the
           next attempt after WEBHOOK_RETRY_SCHEDULE[attempts - 1] seconds (+-20% jitter), and
           failed after the last one (then only `.../retry` sends it again).

At-least-once: a worker killed between 1 and 3 leaves its lease; when the lease runs out the
delivery is due again, the next claim logs the lost attempt ("no answer recorded") and sends it
again. The receiver may then see one event twice, with the same webhook-id, to de-duplicate by.
An attempt is "in flight" while more attempts are counted than logged and the lease runs.
"""
from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from flask import current_app
from sqlalchemy import func, select

from app.core import clock
from app.core.observability import background_round
from app.core.uow import retrying, unit_of_work
from app.extensions import db
from app.merchant.webhooks import signing
from app.merchant.webhooks import transport
from app.merchant.webhooks import services as webhooks
from app.merchant.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

# One JSON line per attempt, with the id of the request that caused the event (README, Watching it).
delivery_log = structlog.get_logger("wallet.webhooks")
LOST = "no answer recorded: the worker stopped during this attempt"


@dataclass(frozen=True)
class Job:
    delivery_id: str
    attempt: int  # the delivery's attempt count once claimed: proves the lease is still ours
    url: str
    secrets: tuple[str, ...]  # the current secret, and the previous one during a rotation's grace period
    msg_id: str
    payload: str
    request_id: str | None = None  # of the HTTP request that emitted the event: sent as X-Request-Id


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_schedule(raw=None) -> list[int]:
    """"5,30,120" -> [5, 30, 120]: seconds before the 2nd, 3rd, 4th attempt."""
    raw = current_app.config["WEBHOOK_RETRY_SCHEDULE"] if raw is None else raw
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    delays = [int(str(item).strip()) for item in items if str(item).strip()]
    if any(d < 0 for d in delays):
        raise ValueError("WEBHOOK_RETRY_SCHEDULE holds seconds >= 0")
    return delays


def _fail(delivery: WebhookDelivery, error: str | None, now: datetime) -> None:
    delivery.status, delivery.next_attempt_at, delivery.updated_at = "failed", None, now
    delivery.last_error = error


def claim(limit: int) -> tuple[list[Job], int]:
    """Take up to `limit` due deliveries for this worker (one committed transaction): the jobs to
    send, and how many due rows were handled (some end failed unsent: endpoint disabled)."""
    def attempt() -> tuple[list[Job], int]:
        now, schedule = clock.now(), retry_schedule()
        with unit_of_work() as uow:
            query = (select(WebhookDelivery)
                     .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                     .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
                     .with_for_update(skip_locked=True))  # several workers take different rows
            rows = list(db.session.execute(query).scalars())
            if not rows:
                return [], 0
            ids = [d.id for d in rows]
            logged = dict(db.session.execute(select(WebhookAttempt.delivery_id, func.count())
                                             .where(WebhookAttempt.delivery_id.in_(ids))
                                             .group_by(WebhookAttempt.delivery_id)).all())
            endpoints = {e.id: e for e in db.session.execute(select(WebhookEndpoint).where(
                WebhookEndpoint.id.in_({d.endpoint_id for d in rows}))).scalars()}
            events = {e.id: e for e in db.session.execute(select(WebhookEvent).where(
                WebhookEvent.id.in_({d.event_id for d in rows}))).scalars()}
            jobs = []
            for delivery in rows:
                if delivery.attempts > logged.get(delivery.id, 0):
                    # Its last worker died mid-attempt and the lease ran out: log that attempt.
                    started = clock.as_utc(delivery.updated_at)
                    db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=started, status_code=None,
                                                  error=LOST, duration_ms=int((now - started).total_seconds() * 1000)))
                    if delivery.attempts > len(schedule):
                        _fail(delivery, LOST, now)
                        continue
                endpoint = endpoints[delivery.endpoint_id]
                if endpoint.status != "active":
                    _fail(delivery, "endpoint disabled", now)
                    continue
                delivery.attempts += 1
                delivery.next_attempt_at = now + timedelta(seconds=current_app.config["WEBHOOK_LEASE"])
                delivery.updated_at = now
                event = events[delivery.event_id]
                payload = signing.body(event.type, clock.as_utc(event.created_at), json.loads(event.data))
                jobs.append(Job(delivery.id, delivery.attempts, endpoint.url, webhooks.signing_secrets(endpoint),
                                event.id, payload, event.request_id))
            uow.commit()
            return jobs, len(rows)
    return retrying(attempt)


def send(job: Job, timeout: float, public_only: bool = False) -> Outcome:
    """One HTTP POST; no database here. Signed at send time: webhook-timestamp is this attempt's.
    `public_only` (production): refuse hosts that resolve inside our network (webhook_transport)."""
    started, tick = clock.now(), time.monotonic()
    headers = signing.headers(job.secrets, job.msg_id, int(started.timestamp()), job.payload)
    if job.request_id:  # not signed: a tracing aid for the receiver's logs, like webhook-id
        headers["X-Request-Id"] = job.request_id
    request = urllib.request.Request(job.url, data=job.payload.encode(), headers=headers, method="POST")
    status, error = None, None
    try:
        with transport.opener(public_only).open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
        exc.close()
    except TimeoutError:
        error = f"timed out after {timeout} s"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500] or type(exc).__name__
    return Outcome(started, status, error, int((time.monotonic() - tick) * 1000))


def record(results: list[tuple[Job, Outcome]]) -> None:
    """Log every attempt and move each delivery on (one committed transaction)."""
    def attempt() -> None:
        outcomes.clear()  # a retried attempt counts afresh
        now, schedule = clock.now(), retry_schedule()
        with unit_of_work() as uow:
            ids = sorted(job.delivery_id for job, _ in results)
            # Locked in id order, like the manual retry, so the two never deadlock.
            rows = {d.id: d for d in db.session.execute(
                select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)
                .with_for_update().execution_options(populate_existing=True)).scalars()}
            for job, outcome in results:
                delivery = rows[job.delivery_id]
                db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=outcome.attempted_at,
                                              status_code=outcome.status_code, error=outcome.error,
                                              duration_ms=outcome.duration_ms))
                if delivery.attempts != job.attempt or delivery.status != "pending":
                    outcomes["superseded"] += 1
                    continue  # our lease ran out and another worker took it over: only log
                delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
                delivery.updated_at = now
                if outcome.ok:
                    delivery.status, delivery.next_attempt_at = "succeeded", None
                    outcomes["succeeded"] += 1
                elif delivery.attempts > len(schedule):
                    _fail(delivery, outcome.error, now)
                    outcomes["failed"] += 1
                else:
                    outcomes["retrying"] += 1
                    delay = schedule[delivery.attempts - 1] * random.uniform(0.8, 1.2)
                    delivery.next_attempt_at = now + timedelta(seconds=delay)
            uow.commit()
    outcomes: Counter = Counter()
    retrying(attempt)
    background_round("webhook_delivery", **outcomes)


def work_once(limit: int) -> int:
    """Claim, send, record one round; the number of due deliveries handled."""
    jobs, handled = claim(limit)
    if not jobs:
        return handled
    timeout = current_app.config["WEBHOOK_TIMEOUT"]
    public_only = webhooks.public_only()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = list(pool.map(lambda job: send(job, timeout, public_only), jobs))
    for job, outcome in zip(jobs, outcomes):
        delivery_log.info("webhook delivery", event_id=job.msg_id, delivery_id=job.delivery_id, attempt=job.attempt,
                          status=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms,
                          request_id=job.request_id)
    record(list(zip(jobs, outcomes)))
    return handled


def run(*, once: bool = False, batch: int | None = None, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Rounds until stopped; with `once`, until nothing is due. Returns the deliveries handled."""
    batch = batch or current_app.config["WEBHOOK_BATCH"]
    poll = current_app.config["WEBHOOK_POLL_INTERVAL"]
    total = 0
    while not should_stop():
        made = work_once(batch)
        total += made
        db.session.remove()  # nothing kept between rounds: no identity map growing for days
        if made == 0:
            if once:
                break
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline and not should_stop():
                time.sleep(0.05)
    return total

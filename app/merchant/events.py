"""Emitting merchant events into the outbox, inside the caller's unit of work.

    emit(merchant_id, "payment.succeeded", {...})   # before the use case commits

The event and one delivery per active endpoint subscribed to its type are rows of this same
transaction: they exist exactly when what they report does (a rolled-back payment leaves no
event to send). Nothing is sent here; `flask webhooks work` does that (app.merchant.webhooks.worker),
so a payment never waits for a merchant's server.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from app.core import clock
from app.core.ids import new_id
from app.core.request_ids import current_request_id
from app.extensions import db
from app.merchant.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

TEST_EVENT = "webhook.test"
EVENT_TYPES = ("payment.succeeded", "payment.failed", "refund.succeeded", "order.paid", "order.expired",
               "order.canceled", "authorization.captured", "authorization.voided", "authorization.expired",
               "batch.closed", TEST_EVENT)
# What an endpoint can subscribe to: the test event goes only where it is asked for.
SUBSCRIBABLE = tuple(t for t in EVENT_TYPES if t != TEST_EVENT)


def emit(merchant_id: str, type: str, data: dict, *, endpoint_id: str | None = None) -> WebhookEvent:
    """Add the event and its deliveries to the open transaction. `endpoint_id` sends it to that
    endpoint only, whatever it subscribes to (the "send a test event" button)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    now = clock.now()
    event = WebhookEvent(id=new_id("msg"), merchant_id=merchant_id, type=type,
                         data=json.dumps(data, separators=(",", ":"), sort_keys=True), created_at=now,
                         request_id=current_request_id())
    db.session.add(event)
    query = select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id,
                                          WebhookEndpoint.status == "active")
    if endpoint_id is not None:
        query = query.where(WebhookEndpoint.id == endpoint_id)
    for endpoint in db.session.execute(query).scalars():
        if endpoint_id is not None or type in json.loads(endpoint.events):
            db.session.add(WebhookDelivery(id=new_id("whd"), event_id=event.id, endpoint_id=endpoint.id,
                                           merchant_id=merchant_id, status="pending", attempts=0,
                                           next_attempt_at=now, created_at=now, updated_at=now))
    return event

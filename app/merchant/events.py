"""Emitting merchant events into the outbox, inside the caller's unit of work.

    emit(merchant_id, "payment.succeeded", {...})   # before the use case commits

The event and one delivery per active endpoint subscribed to its type are rows of this same
transaction: they exist exactly when what they report does. Nothing is sent here.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from app.core import clock
from app.core.ids import new_id
from app.extensions import db
from app.merchant.gateway_models import WebhookDelivery, WebhookEndpoint, WebhookEvent

EVENT_TYPES = ("payment.succeeded", "payment.failed", "refund.succeeded", "order.paid", "order.expired",
               "order.canceled", "authorization.captured", "authorization.voided", "batch.closed", "webhook.test")


def emit(merchant_id: str, type: str, data: dict) -> WebhookEvent:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    now = clock.now()
    event = WebhookEvent(id=new_id("msg"), merchant_id=merchant_id, type=type,
                         data=json.dumps(data, separators=(",", ":"), sort_keys=True), created_at=now)
    db.session.add(event)
    endpoints = db.session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.status == "active")).scalars()
    for endpoint in endpoints:
        if type in json.loads(endpoint.events) or type == "webhook.test":
            db.session.add(WebhookDelivery(id=new_id("whd"), event_id=event.id, endpoint_id=endpoint.id,
                                           merchant_id=merchant_id, status="pending", attempts=0,
                                           next_attempt_at=now, created_at=now, updated_at=now))
    return event

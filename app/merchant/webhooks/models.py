"""Webhook endpoints and the outbox.

Events are written to `webhook_events` in the same transaction as the money movement they
report (app.merchant.events.emit), with one `webhook_deliveries` row per subscribed endpoint;
a separate worker (`flask webhooks work`) sends them, so a payment never waits for a merchant's
server, and an event whose payment rolled back never exists.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (DateTime, ForeignKey, Index, Integer, String, Text)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    events: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of event types
    secret: Mapped[str] = mapped_column(Text, nullable=False)  # Fernet token of "whsec_..."
    # After a rotation: the secret it replaced (a Fernet token too), which also signs deliveries
    # until previous_secret_expires_at (WEBHOOK_SECRET_GRACE_SECONDS after the rotation).
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # active | disabled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WebhookEvent(db.Model):
    """The outbox: one row per event, written in the transaction of what it reports."""
    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_...: the webhook-id header
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The id of the HTTP request that caused it (app.core.request_ids); NULL for a background job's.
    request_id: Mapped[str | None] = mapped_column(String(128))


class WebhookDelivery(db.Model):
    """One event to one endpoint; the worker picks due ones with FOR UPDATE SKIP LOCKED."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), nullable=False, index=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), nullable=False, index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # pending | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WebhookAttempt(db.Model):
    """The attempt log the merchant can read."""
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), nullable=False, index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)

"""Tables every feature shares: the key-value fallback store, idempotency records, the audit trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class KvEntry(db.Model):
    """Security state (nonces, revocations, attempt counters) when there is no Redis.

    Kept in the database rather than in process memory so that several worker processes agree.
    Expiry is an integer of epoch milliseconds, as the Redis store keeps it.
    """
    __tablename__ = "kv_entries"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    expires_at_ms: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)


class IdempotencyRecord(db.Model):
    """The first answer to a money-moving request, replayed for retries with the same key.

    Written in the same transaction as the money movement, so a key exists exactly when its
    effect does. The unique constraint makes two concurrent requests with one key run once.
    """
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="scope_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(80), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)


class AuditRecord(db.Model):
    """Who did what to which object, before and after, why, when and from where (app.core.audit).

    Append-only (a trigger refuses UPDATE and DELETE) and hash-chained in `seq` order: each
    record's hash covers the previous one's and its own canonical content (app/core/sql/audit.sql),
    so an edited, inserted or deleted record breaks `flask audit verify`.
    """
    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_actor_seq", "actor_id", "seq"), Index("ix_audit_object_seq", "object_id", "seq"),
                      Index("ix_audit_created", "created_at"))
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    actor_type: Mapped[str] = mapped_column(String(16), nullable=False)  # operator | merchant_staff | user
    actor_id: Mapped[str] = mapped_column(String(40), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)  # adjustment.approve, terminal.disable, ...
    object_type: Mapped[str] = mapped_column(String(24), nullable=False)
    object_id: Mapped[str] = mapped_column(String(40), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

"""Tables every feature shares: the key-value fallback store and idempotency records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, UniqueConstraint
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

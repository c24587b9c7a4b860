"""What the server knows of offline sales: the payments it confirmed, what terminals reported,
and each terminal's offline limits. Money moves only in offline_pay.sql; these rows are what
reconciliation compares."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class OfflinePayment(db.Model):
    """A payment of a terminal-made code, and the confirmation the server gave for it. The
    UNIQUE (terminal, seq) is what refuses a second payment of one code, concurrent ones included."""
    __tablename__ = "offline_payments"
    __table_args__ = (UniqueConstraint("terminal_id", "seq"),)
    id: Mapped[str] = mapped_column(ForeignKey("transactions.id"), primary_key=True)  # the payment
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), nullable=False)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    nonce: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    confirmation: Mapped[str] = mapped_column(String(10), nullable=False)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # the terminal's clock
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # the server's
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OfflineReport(db.Model):
    """One record a terminal uploaded: matched with its payment ("posted"), or refused with a
    stable reason (not_issued: no confirmation was given for it; mismatch: it differs from
    what was paid). Kept either way, so a resent record gets the same answer."""
    __tablename__ = "offline_reports"
    __table_args__ = (UniqueConstraint("terminal_id", "seq"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), nullable=False)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # posted | refused
    reason: Mapped[str | None] = mapped_column(String(24))
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the record as sent
    payment_id: Mapped[str | None] = mapped_column(String(40))  # as the terminal reported it
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    offline_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    breaches: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # comma-separated
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class OfflineLimits(db.Model):
    """A terminal's own offline limits, set by merchant staff; no row means the OFFLINE_* defaults."""
    __tablename__ = "terminal_offline_limits"
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    max_sale: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_count: Mapped[int] = mapped_column(Integer, nullable=False)
    max_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

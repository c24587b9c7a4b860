"""Online orders: a merchant's server asks for a payment, the customer pays its dynamic QR code or deep link."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Order(db.Model):
    """An online checkout: a dynamic QR code the customer scans or opens by deep link."""
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("merchant_id", "reference", name="merchant_reference"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunds_within_amount"),
        Index("ix_orders_merchant_created", "merchant_id", "created_at", "id"),  # the order list, newest first
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    qr_code_id: Mapped[str] = mapped_column(ForeignKey("qr_codes.id"), nullable=False, unique=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str | None] = mapped_column(String(280))
    # pending | paid | expired | canceled | refunded | partially_refunded
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

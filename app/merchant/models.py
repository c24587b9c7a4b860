"""Merchants and the people who work for them. A merchant's money sits in ledger accounts of
kind "merchant" (app.wallet), one per currency."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Merchant(db.Model):
    __tablename__ = "merchants"
    # History's `q` finds the other side by name (migration 0021).
    __table_args__ = (Index("ix_merchants_name_trgm", "name", postgresql_using="gin",
                            postgresql_ops={"name": "gin_trgm_ops"}),
                      CheckConstraint("max_charge >= 0", name="merchant_max_charge_not_negative"),
                      CheckConstraint("daily_refunds >= 0", name="merchant_daily_refunds_not_negative"),
                      CheckConstraint("fee_rate_bps BETWEEN 0 AND 10000", name="merchant_fee_rate_range"),
                      CheckConstraint("fee_min >= 0", name="merchant_fee_min_not_negative"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # UTF-8, as the merchant writes it
    city: Mapped[str] = mapped_column(String(60), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)  # ISO 3166-1 alpha-2
    mcc: Mapped[str] = mapped_column(String(4), nullable=False)  # ISO 18245 merchant category code
    currency: Mapped[str] = mapped_column(String(3), nullable=False)  # the merchant's main currency
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="en")  # ISO 639-1, for EMV tag 64
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # The merchant's own limits, in minor units of `currency`; NULL: none (app.merchant.limits).
    max_charge: Mapped[int | None] = mapped_column(BigInteger)
    daily_refunds: Mapped[int | None] = mapped_column(BigInteger)
    # The discount fee on each payment (app/wallet/sql/fees.sql): basis points of the amount, at
    # least fee_min minor units. refund_returns_fee: None follows the global setting (fee_settings).
    fee_rate_bps: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    fee_min: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    refund_returns_fee: Mapped[bool | None] = mapped_column(Boolean)


class MerchantStaff(db.Model):
    __tablename__ = "merchant_staff"
    __table_args__ = (UniqueConstraint("merchant_id", "user_id", name="merchant_user"),
                      CheckConstraint("role IN ('owner', 'manager', 'cashier')", name="staff_role"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # owner | manager | cashier (app.merchant.roles)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

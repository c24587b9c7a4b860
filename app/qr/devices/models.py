"""Devices that show consumer payment codes: one row per registered phone (or app install).

The handle is what a code says about its device: 7 random digits, not derived from the user,
the phone number or the wallet, so a scanned code identifies nobody to a bystander. The TOTP
seed is Fernet-encrypted (DATA_ENCRYPTION_KEY), like the authenticator-app seed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Device(db.Model):
    __tablename__ = "devices"
    __table_args__ = (CheckConstraint("length(handle) = 7", name="handle_length"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Unique across revoked devices too: an old code must keep pointing at its (revoked) device.
    handle: Mapped[str] = mapped_column(String(7), nullable=False, unique=True)
    secret: Mapped[str] = mapped_column(Text, nullable=False)  # Fernet token of the base32 seed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentCodeUse(db.Model):
    """A payment code that was used: one row per (device, TOTP step), written by payment_code_take
    (app/qr/devices/payment_code_take.sql) in the payment's own transaction, so a code is used
    exactly when its payment (or its recorded refusal) commits. The primary key is the guarantee
    that a code pays once, however many terminals present it at the same moment. A row is only
    needed while its step is accepted (two periods); older rows are history."""
    __tablename__ = "payment_codes_used"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

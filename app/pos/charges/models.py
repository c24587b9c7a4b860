"""What a terminal charged: a scanned consumer code (kind "charge") or a vending hold
("authorization"). Money always moves through the ledger; these rows say what the terminal
asked for and how it ended. (A terminal-presented payment request is a dynamic QR code,
app.qr.models.QrCode, that names its terminal.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class PosCharge(db.Model):
    """A charge of a scanned consumer code (kind "charge") or a vending hold ("authorization")."""
    __tablename__ = "pos_charges"
    __table_args__ = (
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= captured_amount", name="refunds_within_capture"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # charge | authorization
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), nullable=False, index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    wallet_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # asked for (the hold, for vending)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(64))
    # succeeded | failed | requires_confirmation | expired | reversed | authorized | captured | voided
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    failure_code: Mapped[str | None] = mapped_column(String(40))
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"))
    captured_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

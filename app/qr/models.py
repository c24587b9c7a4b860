"""Merchant-presented QR codes we issued. The payload names this row (tag 26, sub-tag 02), and
a payment must present exactly the stored payload, so an altered amount or reference is unpayable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class QrCode(db.Model):
    __tablename__ = "qr_codes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # static | dynamic
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[int | None] = mapped_column(BigInteger)  # dynamic codes only
    reference: Mapped[str | None] = mapped_column(String(25))
    terminal_label: Mapped[str | None] = mapped_column(String(25))
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # active | paid | canceled
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_transaction_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"))
    # Set when a terminal presented this code as a payment request.
    terminal_id: Mapped[str | None] = mapped_column(ForeignKey("terminals.id"), index=True)
    capture: Mapped[str] = mapped_column(String(12), nullable=False, default="automatic",
                                         server_default="automatic")  # automatic | manual
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

"""A registered shop till or vending machine, with its signing secret encrypted at rest."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Terminal(db.Model):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # pos | vending
    label: Mapped[str] = mapped_column(String(25), nullable=False)  # also EMV 62/07 on its codes
    secret: Mapped[str] = mapped_column(Text, nullable=False)  # Fernet token of the HMAC key
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # active | disabled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    secret_rotated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    batch_opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

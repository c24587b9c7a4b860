"""Closed batches: a terminal's sales and refunds between two closes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Batch(db.Model):
    """A closed batch: the terminal's sales and refunds between two closes."""
    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), nullable=False, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    totals: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: {currency: {sales, refunds, net}}

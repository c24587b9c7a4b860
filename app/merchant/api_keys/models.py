"""API keys: how a merchant's own servers call the merchant API (stored hashed)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (DateTime, ForeignKey, String)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(24), nullable=False)  # shown in lists, e.g. "mk_live_ab12"
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # keyed SHA-256
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

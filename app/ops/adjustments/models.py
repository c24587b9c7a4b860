"""An adjustment: a proposed correction to one wallet, posted only when another operator approves.

pending -> approved (posted: transaction_id set) | rejected. A refused approval (the wallet
cannot cover a debit) leaves it pending: app/ops/sql/adjustment_decide.sql says why.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Adjustment(db.Model):
    __tablename__ = "adjustments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="adjustment_amount_positive"),
        CheckConstraint("direction IN ('credit', 'debit')", name="adjustment_direction"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="adjustment_status"),
        # The second pair of eyes, kept by the database too: nobody decides their own proposal.
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="adjustment_four_eyes"),
        Index("ix_adjustments_created", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wallet_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)  # credit: money into the wallet
    counter: Mapped[str] = mapped_column(String(16), nullable=False)  # suspense | revenue
    counter_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    reason: Mapped[str] = mapped_column(String(280), nullable=False)
    reference: Mapped[str] = mapped_column(String(140), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(String(280))
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

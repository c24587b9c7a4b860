"""Offline purses: an allowance held on a wallet for paying with nobody online, the tokens
captured against it, and the wallets whose offline use is frozen after an overspend. Money
moves only in purse.sql; these rows say what the hold is for and what was paid from it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Purse(db.Model):
    """status: active | closed (by its owner: no new certificates, late tokens still paid) |
    frozen (overspent). hold_txn_id is the hold now standing for the unused allowance: each
    capture resolves one hold and places a smaller one for the rest (a hold resolves once)."""
    __tablename__ = "offline_purses"
    __table_args__ = (CheckConstraint("allowance > 0 AND max_payment > 0 AND max_payment <= allowance "
                                      "AND spent >= 0 AND debt >= 0", name="purse_amounts"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    wallet_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    device_key: Mapped[str] = mapped_column(String(64), nullable=False)  # Ed25519, raw 32 bytes base64url
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    allowance: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_payment: Mapped[int] = mapped_column(BigInteger, nullable=False)
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    issuer_kid: Mapped[str] = mapped_column(String(16), nullable=False)
    signature: Mapped[str] = mapped_column(String(100), nullable=False)  # of the certificate, as issued
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    hold_txn_id: Mapped[str] = mapped_column(ForeignKey("transactions.id"), nullable=False)
    spent: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # every token paid, overspend included
    debt: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # paid for the wallet by the receivable
    frozen_reason: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # hold returns then


class PurseToken(db.Model):
    """One token paid. UNIQUE (purse, counter, token_hash): the same token uploaded twice (two
    copies of a batch at once included) is captured once; the same counter with other content is
    a second token, paid, and an overspend."""
    __tablename__ = "purse_tokens"
    __table_args__ = (UniqueConstraint("purse_id", "counter", "token_hash"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purse_id: Mapped[str] = mapped_column(ForeignKey("offline_purses.id"), nullable=False)
    counter: Mapped[int] = mapped_column(BigInteger, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), nullable=False, index=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), nullable=False)
    # Indexed: history finds a payment's time of sale by it (app.history.wallet_page, migration 0040).
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id"), nullable=False, index=True)
    # The transfer that captured the purse's hold for it (None: nothing came from the hold): the
    # wallet's history shows that part as a row of the hold, and finds the time of sale by it.
    hold_transfer_id: Mapped[str | None] = mapped_column(ForeignKey("transfers.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_hold: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_wallet: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_receivable: Mapped[int] = mapped_column(BigInteger, nullable=False)
    overspend: Mapped[bool] = mapped_column(Boolean, nullable=False)
    sold_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # the phone's clock
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class OfflineFreeze(db.Model):
    """A wallet that may not take new purses: one of its purses was overspent."""
    __tablename__ = "offline_freezes"
    wallet_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    purse_id: Mapped[str] = mapped_column(ForeignKey("offline_purses.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(24), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

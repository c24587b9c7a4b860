"""The ledger's tables. Balances are derived from posted and pending debits and credits.

accounts      one per user wallet, merchant account or system account (e.g. the top-up float)
transactions  what a person did (a top-up, a transfer, a payment): the row history shows
transfers     the immutable double-entry journal: each moves `amount` from debit to credit
entries       each transfer's effect on each of its two accounts, in per-account order,
              carrying the balance after it and the hash chain that makes tampering visible
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, SmallInteger,
                        String, Text, UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

GENESIS_HASH = "0" * 64


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 "
                        "AND credits_pending >= 0", name="amounts_not_negative"),
        # The database itself refuses an overdraft, whatever the code above it does.
        CheckConstraint("NOT no_overdraft OR debits_posted + debits_pending <= credits_posted",
                        name="no_overdraft"),
        UniqueConstraint("user_id", "currency", name="user_currency"),
        UniqueConstraint("merchant_id", "currency", name="merchant_currency"),
        UniqueConstraint("code", "currency", name="system_code_currency"),
        CheckConstraint("credit_buckets BETWEEN 0 AND 64", name="credit_buckets_range"),
        CheckConstraint("day_used >= 0 AND month_used >= 0", name="limit_used_not_negative"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # user | merchant | system | bucket
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"))
    code: Mapped[str | None] = mapped_column(String(40))  # system accounts: topup_float, ...
    # A merchant account's credit buckets (see ledger_post.sql): how many, and each bucket's parent.
    credit_buckets: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0, server_default="0")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    no_overdraft: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    debits_posted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    entry_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # A user's wallet's outgoing totals of the current UTC day and month, kept by ledger_move under
    # this row's lock (app/wallet/sql/limits.sql); a total whose start is past counts as 0.
    day_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    day_used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    month_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    month_used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def held(self) -> int:
        return self.debits_pending

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending


class Transaction(db.Model):
    __tablename__ = "transactions"
    # (History's `q` reads reference and note from entries.search, not from here: migration 0036.)
    __table_args__ = (
        # A terminal's transactions by time: batches and settlements, and its latest one (the
        # operator console's "last seen"); migration 0028.
        Index("ix_transactions_terminal_created", "terminal_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(24), nullable=False)  # topup | transfer | hold ...
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    initiator_id: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(140))
    note: Mapped[str | None] = mapped_column(String(280))
    related_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"), index=True)  # refunds of a payment
    # The terminal that took this payment or refund (batches and settlements add these up).
    # No foreign key: the ledger does not depend on the POS feature.
    terminal_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # A payment's fee (charged to the merchant, or paid by the user on a top-up or P2P transfer),
    # or what a refund gave back of it. The fee itself is a transaction of its own (type 'fee' or
    # 'fee_return', related_id: this one): app/wallet/sql/fees.sql.
    fee: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")


class FeeSettings(db.Model):
    """The global fee settings: one row, 'global' (app/wallet/sql/fees.sql reads it in the posting;
    PUT /api/v1/admin/fees changes it, audited)."""
    __tablename__ = "fee_settings"
    __table_args__ = (
        CheckConstraint("id = 'global'", name="fee_settings_one_row"),
        CheckConstraint("topup_rate_bps BETWEEN 0 AND 10000 AND p2p_rate_bps BETWEEN 0 AND 10000",
                        name="fee_settings_rates"),
        CheckConstraint("topup_min >= 0 AND p2p_min >= 0", name="fee_settings_minimums"),
    )
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    topup_rate_bps: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    topup_min: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    p2p_rate_bps: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    p2p_min: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    refund_returns_fee: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())


class Transfer(db.Model):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        # A pending transfer is resolved (posted, voided or expired) exactly once.
        UniqueConstraint("pending_id", name="pending_resolved_once"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # see app.wallet.rules.KINDS
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    pending_id: Mapped[str | None] = mapped_column(ForeignKey("transfers.id"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class Entry(db.Model):
    __tablename__ = "entries"
    # Both indexes carry seq (and the second account_id) beside their key, so that history reads
    # them alone (index-only scans, migration 0031): a date filter's seq bounds (statements use
    # the first too), and the account and position of a transaction's entries.
    # `search` is what history's `q` searches of the transaction (its reference and note in lower
    # case: entry_search_text in ledger_post.sql), kept on the entry so that a trigram match
    # carries the account and the position it is ordered by (migration 0036).
    # The key is the entry's place in its account's history, (account_id, seq): no surrogate id
    # (migration 0038). The serial id it had was 32 bits, which would have ended the ledger at
    # 2^31 entries, and it cost every entry a sequence call and an index of its own.
    __table_args__ = (Index("ix_entries_account_created", "account_id", "created_at", postgresql_include=["seq"]),
                      Index("ix_entries_transaction_id", "transaction_id", postgresql_include=["account_id", "seq"]),
                      Index("ix_entries_search_trgm", "search", postgresql_using="gin",
                            postgresql_ops={"search": "gin_trgm_ops"}, postgresql_where=text("search IS NOT NULL")))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id"), nullable=False, index=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("transactions.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # signed, from this account's side
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    search: Mapped[str | None] = mapped_column(Text, nullable=True)  # NULL: no reference, no note


class LimitUsage(db.Model):
    """A merchant's refund total of the current day (app/merchant/sql/merchant_limits.sql keeps it;
    a row whose period_start is past counts as 0). The wallets' totals were here too until
    migration 0039; they are columns of the wallet's accounts row now (Account.day_used, ...)."""
    __tablename__ = "limit_usage"
    __table_args__ = (CheckConstraint("period IN ('day', 'month')", name="limit_usage_period"),
                      CheckConstraint("used >= 0", name="limit_usage_not_negative"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used: Mapped[int] = mapped_column(BigInteger, nullable=False)


class WalletDebt(db.Model):
    """What a wallet owes to a system account (today: an offline purse's overspend that the
    wallet could not pay, paid to the merchant by `offline_receivable`). Collected from the next
    money that comes in, inside the posting itself (app/wallet/sql/debts.sql). One row a wallet:
    its lock, taken after the wallet's own, serializes what is owed and what is collected."""
    __tablename__ = "wallet_debts"
    __table_args__ = (CheckConstraint("collected >= 0 AND collected <= owed", name="collected_within_owed"),)
    wallet_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    receivable_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), nullable=False)  # paid back to it
    owed: Mapped[int] = mapped_column(BigInteger, nullable=False)  # every debt recorded
    collected: Mapped[int] = mapped_column(BigInteger, nullable=False)  # of it, paid back
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Freeze(db.Model):
    """A freeze of one wallet (wallet_id) or of every wallet of a user (wallet_id NULL): scope
    'all' stops every movement, 'debits' only money going out. Applies to postings whose time is
    before lifted_at and ends_at (when set); the posting checks it (app/wallet/sql/freezes.sql) and
    app/ops/freezes sets and lifts it. Never deleted: a lifted freeze is the record of one."""
    __tablename__ = "freezes"
    __table_args__ = (CheckConstraint("scope IN ('all', 'debits')", name="freeze_scope"),
                      CheckConstraint("set_by IN ('operator', 'user')", name="freeze_set_by"),
                      Index("ix_freezes_user", "user_id"),  # the posting's one lookup (a user has few)
                      Index("ix_freezes_created", "created_at", "id"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    wallet_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    scope: Mapped[str] = mapped_column(String(8), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    set_by: Mapped[str] = mapped_column(String(8), nullable=False)  # operator | user
    set_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)  # operators are users too
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(String(500))

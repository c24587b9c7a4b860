"""Users and what proves who they are: one-time codes, sessions, recovery codes.

Secrets at rest: passwords and PINs are argon2 hashes; OTP and recovery codes are keyed
HMAC-SHA256 digests (HASH_PEPPER); the TOTP seed is Fernet-encrypted (DATA_ENCRYPTION_KEY).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


TIER_LIMITS = ("max_payment", "daily_out", "monthly_out", "max_balance", "max_topup", "offline_allowance")


class Tier(db.Model):
    """A tier's limits, in minor units of the wallet's currency (app/wallet/sql/limits.sql applies
    them in the posting). The table is the configuration: seeded with basic and verified (0025),
    changed by an admin through PUT /api/v1/admin/tiers/{name}, audited."""
    __tablename__ = "tiers"
    __table_args__ = tuple(CheckConstraint(f"{limit} >= 0", name=f"tier_{limit}_not_negative")
                           for limit in TIER_LIMITS)
    name: Mapped[str] = mapped_column(String(24), primary_key=True)
    max_payment: Mapped[int] = mapped_column(BigInteger, nullable=False)
    daily_out: Mapped[int] = mapped_column(BigInteger, nullable=False)
    monthly_out: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_balance: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_topup: Mapped[int] = mapped_column(BigInteger, nullable=False)
    offline_allowance: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())


class User(db.Model):
    __tablename__ = "users"
    # History's `q` finds the other side by name (migration 0021).
    __table_args__ = (Index("ix_users_name_trgm", "name", postgresql_using="gin",
                            postgresql_ops={"name": "gin_trgm_ops"}),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # user | admin. Kept for old tokens' sake; what an operator may do is in operator_roles
    # (app.auth.operator_roles), and an "admin" here was given the operator role admin (0023).
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="user")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | disabled
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(Text)  # Fernet token; set up but maybe not enabled
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Limits of the tier (app.wallet.limits): basic once verified by a code, raised by an operator.
    tier: Mapped[str] = mapped_column(String(24), ForeignKey("tiers.name"), nullable=False, default="basic",
                                      server_default="basic")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class OtpCode(db.Model):
    __tablename__ = "otp_codes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)  # verify | login
    channel: Mapped[str] = mapped_column(String(8), nullable=False)  # sms | email
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthSession(db.Model):
    """One signed-in device. Refresh tokens rotate; the current one's jti is kept here."""
    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    device_name: Mapped[str] = mapped_column(String(100), nullable=False)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    refresh_jti: Mapped[str] = mapped_column(String(40), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class OperatorRole(db.Model):
    """One operator role held by one user (app.auth.operator_roles says what each may do). A
    user may hold several (support and finance); a user with none is not an operator."""
    __tablename__ = "operator_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", name="operator_user_role"),
                      CheckConstraint("role IN ('support', 'finance', 'admin')", name="operator_role"))
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    granted_by: Mapped[str | None] = mapped_column(String(40))  # None: the migration or the CLI
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

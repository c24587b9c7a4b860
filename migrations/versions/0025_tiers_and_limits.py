"""Tiers and limits: tiers (the configuration, seeded with basic and verified), users.tier,
limit_usage (each wallet's outgoing totals of the day and the month), and the limit checks in
the posting (app/wallet/sql/limits.sql, called by ledger_post and wallet_topup, installed again)

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-01 04:00:00
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "wallet" / "sql" / "limits.sql", APP / "wallet" / "sql" / "ledger_post.sql",
         APP / "wallet" / "sql" / "wallet_topup.sql"]
LIMITS = ("max_payment", "daily_out", "monthly_out", "max_balance", "max_topup", "offline_allowance")
# The defaults (app.config.DEFAULT_TIERS says the same; a migration keeps its own copy): minor units of the wallet's currency.
DEFAULT_TIERS = {
    "basic": (50_000, 100_000, 500_000, 500_000, 50_000, 5_000),
    "verified": (500_000, 1_000_000, 5_000_000, 5_000_000, 500_000, 20_000),
}


def upgrade():
    op.create_table(
        "tiers",
        sa.Column("name", sa.String(24), primary_key=True),
        *[sa.Column(limit, sa.BigInteger(), nullable=False) for limit in LIMITS],
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        *[sa.CheckConstraint(f"{limit} >= 0", name=f"tier_{limit}_not_negative") for limit in LIMITS])
    tiers = sa.table("tiers", sa.column("name"), *[sa.column(limit) for limit in LIMITS])
    op.bulk_insert(tiers, [{"name": name, **dict(zip(LIMITS, values))} for name, values in DEFAULT_TIERS.items()])
    op.add_column("users", sa.Column("tier", sa.String(24), sa.ForeignKey("tiers.name"), nullable=False,
                                     server_default="basic"))
    op.create_table(
        "limit_usage",
        sa.Column("account_id", sa.String(40), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("period", sa.String(8), primary_key=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("period IN ('day', 'month')", name="limit_usage_period"),
        sa.CheckConstraint("used >= 0", name="limit_usage_not_negative"))
    for sql in FILES:
        op.execute(sql.read_text())


STUBS = {"limits_debit": "text, text, bigint, timestamptz", "limits_release": "text, bigint, timestamptz",
         "limits_balance": "text, bigint, bigint", "limits_topup": "text, bigint"}


def downgrade():
    # ledger_post and wallet_topup (installed from today's files) still call the checks: they
    # become no-ops, so a downgraded database pays as before the tiers.
    for name, args in STUBS.items():
        op.execute(f"DROP FUNCTION IF EXISTS {name}({args})")
        op.execute(f"CREATE FUNCTION {name}({args}) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$")
    op.execute("DROP FUNCTION IF EXISTS limits_refuse(text, bigint, bigint, text, timestamptz)")
    op.drop_table("limit_usage")
    op.drop_column("users", "tier")
    op.drop_table("tiers")

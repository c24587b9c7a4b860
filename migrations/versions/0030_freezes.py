"""Freezes: the freezes table, the check in every posting (app/wallet/sql/freezes.sql, called by
ledger_move in ledger_post.sql), payer_frozen for consumer payment codes (payment_code_take,
pos_charge, vending_authorize), and the exemption of approved adjustments and offline purse
captures (adjustment_decide, purse_capture): each file installed again as it is on disk

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 05:30:00
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "wallet" / "sql" / "freezes.sql", APP / "wallet" / "sql" / "ledger_post.sql",
         APP / "qr" / "devices" / "payment_code_take.sql", APP / "pos" / "charges" / "pos_charge.sql",
         APP / "pos" / "vending" / "vending_authorize.sql", APP / "ops" / "sql" / "adjustment_decide.sql",
         APP / "pos" / "purse" / "purse.sql"]


def upgrade():
    op.create_table(
        "freezes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("wallet_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by", sa.String(8), nullable=False),
        sa.Column("set_by_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(40), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("lift_reason", sa.String(500), nullable=True),
        sa.CheckConstraint("scope IN ('all', 'debits')", name="freeze_scope"),
        sa.CheckConstraint("set_by IN ('operator', 'user')", name="freeze_set_by"))
    op.create_index("ix_freezes_user", "freezes", ["user_id"])
    op.create_index("ix_freezes_created", "freezes", ["created_at", "id"])
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # The callers installed from today's files call freeze_refusal and freeze_scope: they become
    # "never frozen", so a downgraded database pays as before the freezes.
    op.execute("CREATE OR REPLACE FUNCTION freeze_refusal(text, text, text, text, timestamptz) RETURNS text "
               "LANGUAGE sql AS $$ SELECT NULL::text $$")
    op.execute("CREATE OR REPLACE FUNCTION freeze_scope(text, text, timestamptz) RETURNS text "
               "LANGUAGE sql AS $$ SELECT NULL::text $$")
    op.drop_table("freezes")

"""Operator roles, adjustments with a second pair of eyes, the audit trail

Revision ID: 0023
Revises: 0017
Create Date: 2026-12-01 03:00:00

operator_roles (support, finance, admin: app.auth.operator_roles); every user whose role was
"admin" becomes an operator with the role admin. adjustments and their one-call decision
(app/ops/sql/adjustment_decide.sql). audit_records, append-only (a trigger refuses UPDATE and
DELETE) and hash-chained (app/core/sql/audit.sql).
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "core" / "sql" / "audit.sql", APP / "ops" / "sql" / "adjustment_decide.sql"]


def _when(name: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kwargs)


def upgrade():
    op.create_table(
        "operator_roles",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("granted_by", sa.String(40)),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("user_id", "role", name="operator_user_role"),
        sa.CheckConstraint("role IN ('support', 'finance', 'admin')", name="operator_role"))
    op.execute("INSERT INTO operator_roles (id, user_id, role, created_at) "
               "SELECT 'opr_' || substr(md5(id), 1, 24), id, 'admin', now() FROM users WHERE role = 'admin'")

    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(24), nullable=False),
        sa.Column("object_id", sa.String(40), nullable=False),
        sa.Column("before", postgresql.JSONB()),
        sa.Column("after", postgresql.JSONB()),
        sa.Column("reason", sa.Text()),
        sa.Column("ip", sa.String(45)),
        _when("created_at", nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False))
    op.create_index("ix_audit_actor_seq", "audit_records", ["actor_id", "seq"])
    op.create_index("ix_audit_object_seq", "audit_records", ["object_id", "seq"])
    op.create_index("ix_audit_created", "audit_records", ["created_at"])

    op.create_table(
        "adjustments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("wallet_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("counter_account_id", sa.String(40), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(280), nullable=False),
        sa.Column("reference", sa.String(140), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("decided_by", sa.String(40), sa.ForeignKey("users.id")),
        sa.Column("decision_note", sa.String(280)),
        sa.Column("transaction_id", sa.String(40), sa.ForeignKey("transactions.id")),
        _when("created_at", nullable=False),
        _when("decided_at"),
        sa.CheckConstraint("amount > 0", name="adjustment_amount_positive"),
        sa.CheckConstraint("direction IN ('credit', 'debit')", name="adjustment_direction"),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="adjustment_status"),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="adjustment_four_eyes"))
    op.create_index("ix_adjustments_wallet_id", "adjustments", ["wallet_id"])
    op.create_index("ix_adjustments_created", "adjustments", ["created_at", "id"])

    for sql in FILES:
        op.execute(sql.read_text())
    op.execute("CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
               "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()")


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS adjustment_decide(text, text, boolean, text, text, timestamptz, text, text, bigint)")
    op.drop_table("adjustments")
    op.drop_table("audit_records")  # its trigger goes with it
    op.execute("DROP FUNCTION IF EXISTS audit_records_append_only()")
    op.execute("DROP FUNCTION IF EXISTS audit_append(text, text, text, text, text, jsonb, jsonb, text, text, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS audit_hash(bigint, text, text, text, text, text, text, jsonb, jsonb, text, text, "
               "timestamptz)")
    op.drop_table("operator_roles")

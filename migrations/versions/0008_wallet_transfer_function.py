"""wallet_transfer: a person-to-person transfer in one call (idempotency, checks, posting, answer)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:45:00

The functions' texts live in app/core/sql/idempotency_claim.sql and app/wallet/sql/wallet_transfer.sql,
next to the modules that call them.
This migration installs the file as it is when the migration runs; a later change to the file
comes with a migration of its own that installs it again (CREATE OR REPLACE).
"""
from pathlib import Path

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "core" / "sql" / "idempotency_claim.sql", APP / "wallet" / "sql" / "wallet_transfer.sql"]


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS payer_refusal(text)")
    op.execute("DROP FUNCTION IF EXISTS idempotency_answer(bigint, integer, text)")
    op.execute("DROP FUNCTION IF EXISTS idempotency_claim(text, text, text, interval, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS wallet_transfer(text, text, text, interval, text, text, text, text, text, "
               "bigint, text, bigint, timestamptz, text, text, text)")

"""wallet_transfer: a person-to-person transfer in one call (idempotency, checks, posting, answer)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:45:00

The function's text lives in app/wallet/sql/wallet_transfer.sql, next to the module that calls it.
This migration installs the file as it is when the migration runs; a later change to the file
comes with a migration of its own that installs it again (CREATE OR REPLACE).
"""
from pathlib import Path

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "app" / "wallet" / "sql" / "wallet_transfer.sql"


def upgrade():
    op.execute(SQL.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS wallet_transfer(text, text, text, interval, text, text, text, text, text, "
               "bigint, text, bigint, timestamptz, text, text, text)")

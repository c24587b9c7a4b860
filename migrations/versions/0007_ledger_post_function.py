"""ledger_post: one transfer (locks, rules, transfer, entries, balances, hash chain) in one call

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:30:00

The function's text lives in app/wallet/sql/ledger_post.sql, next to the module that calls it.
This migration installs the file as it is when the migration runs; a later change to the file
comes with a migration of its own that installs it again (CREATE OR REPLACE).
"""
from pathlib import Path

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "app" / "wallet" / "sql" / "ledger_post.sql"


def upgrade():
    op.execute(SQL.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS ledger_post(text, text, text, text, text, bigint, text, text, "
               "timestamptz, bigint, timestamptz)")

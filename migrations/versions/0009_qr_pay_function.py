"""qr_pay: paying a merchant's own QR code in one call (idempotency, checks, outbox, posting, answer)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 20:10:00

The function's text lives in app/checkout/qr_payments/qr_pay.sql, next to the module that calls
it. This migration installs the file as it is when the migration runs; a later change to the file
comes with a migration of its own that installs it again (CREATE OR REPLACE).
"""
from pathlib import Path

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "app" / "checkout" / "qr_payments" / "qr_pay.sql"


def upgrade():
    op.execute(SQL.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS qr_pay(text, text, text, interval, text, text, text, text, text, bigint, "
               "timestamptz, text, text, text, text)")

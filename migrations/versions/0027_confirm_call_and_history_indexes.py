"""The customer's approval of a large terminal charge in one call (charge_confirm)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 06:00:00

app/checkout/confirmations/charge_confirm.sql: the approval that pos_charge leaves waiting
(requires_confirmation) was the last payment posted from Python's unit of work; it is now one
statement that claims the key, locks the charge, the terminal (KEY SHARE) and the accounts (in
ledger_post), writes payment.succeeded and stores the answer.

This migration installs the file as it is when it runs; a later change to it comes with a
migration of its own that installs it again.
"""
from pathlib import Path

from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
CHARGE_CONFIRM = APP / "checkout" / "confirmations" / "charge_confirm.sql"
CHARGE_CONFIRM_SIGNATURE = "text, text, text, interval, text, text, timestamptz, text, text, text"


def upgrade():
    op.execute(CHARGE_CONFIRM.read_text())


def downgrade():
    op.execute(f"DROP FUNCTION IF EXISTS charge_confirm({CHARGE_CONFIRM_SIGNATURE})")

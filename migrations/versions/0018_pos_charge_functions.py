"""pos_charge and vending_authorize: a terminal's charge and a vending hold in one call each

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 03:00:00

payment_codes_used (a used consumer payment code: one row per device and TOTP step, replacing the
mark the store kept) and the functions in app/qr/devices/payment_code_take.sql,
app/pos/charges/pos_charge.sql (pos_event, pos_refused, pos_charge) and
app/pos/vending/vending_authorize.sql, installed as the files are when the migration runs; a
later change to a file comes with a migration of its own that installs it again.
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "qr" / "devices" / "payment_code_take.sql", APP / "pos" / "charges" / "pos_charge.sql",
         APP / "pos" / "vending" / "vending_authorize.sql"]
ONE_CALL = ("text, text, text, interval, text, text, text, bigint, integer, text, boolean, bigint, text, text, "
            "bigint, timestamptz, text, json, timestamptz, text, text, text, text")


def upgrade():
    op.create_table(
        "payment_codes_used",
        sa.Column("device_id", sa.String(40), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("step", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    op.execute(f"DROP FUNCTION IF EXISTS vending_authorize({ONE_CALL})")
    op.execute(f"DROP FUNCTION IF EXISTS pos_charge({ONE_CALL}, text)")
    op.execute("DROP FUNCTION IF EXISTS pos_refused(text, text, text, text, text, text, bigint, text, text, text, "
               "text, text, bigint, timestamptz, text)")
    op.execute("DROP FUNCTION IF EXISTS pos_event(text, text, text, json, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS payment_code_take(text, bigint, integer, timestamptz)")
    op.drop_table("payment_codes_used")

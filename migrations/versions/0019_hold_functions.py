"""Holds in one call each: capture, void and the sweeper's expiry (hold_settle and the terminal functions)

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01 03:00:00

The functions' text lives next to the modules that call them: app/wallet/sql/holds.sql
(hold_settle, api_time) and app/pos/sql/terminal_holds.sql (outbox_emit, authorization_settle,
request_hold_settle, hold_expire and their helpers). This migration installs the files as they
are when it runs; a later change to a file comes with a migration of its own that installs it again.
"""
from pathlib import Path

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

ROOT = Path(__file__).resolve().parents[2] / "app"
FILES = (ROOT / "wallet" / "sql" / "holds.sql", ROOT / "pos" / "sql" / "terminal_holds.sql")
FUNCTIONS = (
    "hold_expire(text, timestamptz, text, text)",
    "request_hold_settle(text, text, text, interval, text, text, text, bigint, timestamptz, text, text)",
    "request_hold_event(qr_codes, transactions, bigint)",
    "authorization_settle(text, text, text, interval, text, text, text, bigint, timestamptz, text, text)",
    "authorization_answer(pos_charges, text)",
    "authorization_event(pos_charges)",
    "outbox_emit(text, text, text, jsonb, timestamptz)",
    "api_time(timestamptz)",
    "hold_settle(text, text, bigint, boolean, timestamptz, text)",
)


def upgrade():
    for path in FILES:
        op.execute(path.read_text())


def downgrade():
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")

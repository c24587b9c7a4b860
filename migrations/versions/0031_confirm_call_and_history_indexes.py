"""The customer's approval of a large terminal charge in one call (charge_confirm); history's
indexes carry the columns its searches read (index-only scans)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 06:00:00

app/checkout/confirmations/charge_confirm.sql: the approval that pos_charge leaves waiting
(requires_confirmation) was the last payment posted from Python's unit of work; it is now one
statement that claims the key, locks the charge, the terminal (KEY SHARE) and the accounts (in
ledger_post), writes payment.succeeded and stores the answer.

This migration installs the file as it is when it runs; a later change to it comes with a
migration of its own that installs it again.

Two indexes of entries are rebuilt with the columns history reads beside their key (INCLUDE; the
same names, the same keys, so every query that used them still does), measured on bench.history's
million-row wallet with EXPLAIN (ANALYZE, BUFFERS) (README, Performance):
- ix_entries_transaction_id (transaction_id) INCLUDE (account_id, seq): a `q` search finds the
  transactions containing the text through the trigram indexes, then the account's entries of
  them; with the account and position in the index that is one index-only probe per match, not a
  heap fetch, and PostgreSQL stops hashing the whole transactions table for the join;
- ix_entries_account_created (account_id, created_at) INCLUDE (seq): a date filter's first and
  last position (app.history.entries.rows_before) are read from the index alone.
Rebuilding them blocks writes to entries (payments) while it runs: seconds per million entries.
CONCURRENTLY cannot run inside Alembic's transaction, so on a large ledger run this in a quiet hour.
"""
from pathlib import Path

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
CHARGE_CONFIRM = APP / "checkout" / "confirmations" / "charge_confirm.sql"
CHARGE_CONFIRM_SIGNATURE = "text, text, text, interval, text, text, timestamptz, text, text, text"


INDEXES = {  # name: (key, included now)
    "ix_entries_transaction_id": (["transaction_id"], ["account_id", "seq"]),
    "ix_entries_account_created": (["account_id", "created_at"], ["seq"]),
}


def upgrade():
    op.execute(CHARGE_CONFIRM.read_text())
    for name, (key, included) in INDEXES.items():
        op.drop_index(name, table_name="entries")
        op.create_index(name, "entries", key, postgresql_include=included)


def downgrade():
    for name, (key, _included) in INDEXES.items():
        op.drop_index(name, table_name="entries")
        op.create_index(name, "entries", key)
    op.execute(f"DROP FUNCTION IF EXISTS charge_confirm({CHARGE_CONFIRM_SIGNATURE})")

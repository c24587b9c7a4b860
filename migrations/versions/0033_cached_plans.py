"""Plans kept for the connection: the small LANGUAGE sql functions that every payment calls become
PL/pgSQL (PostgreSQL 15 plans a non-inlined LANGUAGE sql function's query again in every
transaction; PL/pgSQL keeps its plans per connection), the answer-building ones become STABLE so
that they are inlined, and ledger_move locks and reads its two accounts in one statement and
writes both back in one. Behaviour unchanged; the files say why in their comments.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 10:40:00
"""
from pathlib import Path

from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "core" / "sql" / "idempotency_claim.sql", APP / "wallet" / "sql" / "freezes.sql",
         APP / "wallet" / "sql" / "limits.sql", APP / "wallet" / "sql" / "debts.sql",
         APP / "merchant" / "sql" / "merchant_limits.sql", APP / "wallet" / "sql" / "holds.sql",
         APP / "pos" / "sql" / "terminal_holds.sql", APP / "wallet" / "sql" / "ledger_post.sql"]


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # The files as they are on disk are the only versions kept; the functions' contracts did not
    # change, so there is nothing to undo.
    pass

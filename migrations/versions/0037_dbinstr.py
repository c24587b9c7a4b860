"""Fewer instructions per payment in PostgreSQL (bench.db_instructions): a function whose answer is
one row is assigned (`x := f(...)`), not selected from (`SELECT * INTO x FROM f(...)`), in the
functions every p2p, QR and terminal payment runs. PL/pgSQL evaluates an assignment as a simple
expression; a SELECT ... FROM f() starts the executor for a function scan and materializes the
row in a tuplestore. Behaviour unchanged: the same functions, called with the same arguments, in
the same order. PostgreSQL instructions per call (bench.db_instructions): p2p 3.13 M -> 3.03 M,
qr 3.70 M -> 3.62 M, charge 4.45 M -> 4.32 M.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 11:05:00

This migration installs the files as they are when it runs; a later change to a file comes with a
migration of its own that installs it again.
"""
from pathlib import Path

from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "wallet" / "sql" / "ledger_post.sql", APP / "wallet" / "sql" / "wallet_transfer.sql",
         APP / "checkout" / "qr_payments" / "qr_pay.sql", APP / "pos" / "sql" / "pos_code_take.sql",
         APP / "pos" / "charges" / "pos_charge.sql"]


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # The files as they are on disk are the only versions kept; the functions' contracts did not
    # change, so there is nothing to undo.
    pass

"""Offline purses, the rest of issue 13: a wallet's debts collected in the posting (wallet_debts;
debt_record and debt_collect in app/wallet/sql/debts.sql, called by ledger_post and purse_capture,
both installed again); the purse escrow spread over accounts by purse id (purse_capture takes the
escrow from the purse's hold and loses its p_escrow_id argument: the old one is dropped); purse_tokens.hold_transfer_id, the transfer that captured the hold
for a token (history finds the time of sale of the wallet's row by it)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 06:00:00

The functions' text lives next to the modules that call them and is installed as it is when this
migration runs; a later change to a file comes with a migration that installs it again.
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
# debts.sql first: ledger_post and purse_capture call its functions.
FILES = [APP / "wallet" / "sql" / "debts.sql", APP / "wallet" / "sql" / "ledger_post.sql",
         APP / "pos" / "purse" / "purse.sql"]


CAPTURE_BEFORE = ("text, bigint, text, text, text, bigint, text, timestamptz, text, text, timestamptz, text, text, "
                  "text, text[], text")


def upgrade():
    op.execute(f"DROP FUNCTION IF EXISTS purse_capture({CAPTURE_BEFORE})")
    op.create_table('wallet_debts',
    sa.Column('wallet_id', sa.String(length=40), nullable=False),
    sa.Column('receivable_id', sa.String(length=40), nullable=False),
    sa.Column('owed', sa.BigInteger(), nullable=False),
    sa.Column('collected', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('collected >= 0 AND collected <= owed', name=op.f('ck_wallet_debts_collected_within_owed')),
    sa.ForeignKeyConstraint(['wallet_id'], ['accounts.id'], name=op.f('fk_wallet_debts_wallet_id_accounts')),
    sa.ForeignKeyConstraint(['receivable_id'], ['accounts.id'], name=op.f('fk_wallet_debts_receivable_id_accounts')),
    sa.PrimaryKeyConstraint('wallet_id', name=op.f('pk_wallet_debts')),
    )
    op.add_column('purse_tokens', sa.Column('hold_transfer_id', sa.String(length=40), nullable=True))
    op.create_foreign_key(op.f('fk_purse_tokens_hold_transfer_id_transfers'), 'purse_tokens', 'transfers',
                          ['hold_transfer_id'], ['id'])
    op.create_index(op.f('ix_purse_tokens_hold_transfer_id'), 'purse_tokens', ['hold_transfer_id'], unique=False)
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # ledger_post and purse_capture stay as they are, calling functions that are gone: as every
    # later revision here, a downgrade past it is for an empty database being rebuilt.
    op.execute("DROP FUNCTION IF EXISTS debt_collect(text, text, text, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS debt_record(text, text, bigint, timestamptz)")
    op.drop_table('wallet_debts')
    op.drop_index(op.f('ix_purse_tokens_hold_transfer_id'), table_name='purse_tokens')
    op.drop_constraint(op.f('fk_purse_tokens_hold_transfer_id_transfers'), 'purse_tokens', type_='foreignkey')
    op.drop_column('purse_tokens', 'hold_transfer_id')

"""Offline purses (both offline): purses, their captured tokens, frozen wallets; purse_capture
(app/pos/purse/purse.sql)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 04:00:00

The function's text lives next to the module that calls it and is installed as it is when this
migration runs; a later change to the file comes with a migration that installs it again.
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "app" / "pos" / "purse" / "purse.sql"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _money(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade():
    op.create_table('offline_purses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('wallet_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('device_key', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    *_money('allowance', 'max_payment'),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issuer_kid', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('hold_txn_id', sa.String(length=40), nullable=False),
    *_money('spent', 'debt'),
    sa.Column('frozen_reason', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('release_after', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('allowance > 0 AND max_payment > 0 AND max_payment <= allowance AND spent >= 0 '
                       'AND debt >= 0', name=op.f('ck_offline_purses_purse_amounts')),
    _fk('offline_purses', 'wallet_id', 'accounts'),
    _fk('offline_purses', 'user_id', 'users'),
    _fk('offline_purses', 'hold_txn_id', 'transactions'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_purses')),
    )
    op.create_index(op.f('ix_offline_purses_wallet_id'), 'offline_purses', ['wallet_id'], unique=False)
    op.create_table('purse_tokens',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('purse_id', sa.String(length=40), nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('terminal_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('transaction_id', sa.String(length=40), nullable=False),
    *_money('amount', 'from_hold', 'from_wallet', 'from_receivable'),
    sa.Column('overspend', sa.Boolean(), nullable=False),
    sa.Column('sold_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    _fk('purse_tokens', 'purse_id', 'offline_purses'),
    _fk('purse_tokens', 'terminal_id', 'terminals'),
    _fk('purse_tokens', 'merchant_id', 'merchants'),
    _fk('purse_tokens', 'transaction_id', 'transactions'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purse_tokens')),
    sa.UniqueConstraint('purse_id', 'counter', 'token_hash', name=op.f('uq_purse_tokens_purse_id')),
    )
    op.create_index(op.f('ix_purse_tokens_terminal_id'), 'purse_tokens', ['terminal_id'], unique=False)
    op.create_table('offline_freezes',
    sa.Column('wallet_id', sa.String(length=40), nullable=False),
    sa.Column('purse_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _fk('offline_freezes', 'wallet_id', 'accounts'),
    _fk('offline_freezes', 'purse_id', 'offline_purses'),
    sa.PrimaryKeyConstraint('wallet_id', name=op.f('pk_offline_freezes')),
    )
    op.execute(SQL.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS purse_capture(text, bigint, text, text, text, bigint, text, timestamptz, "
               "text, text, timestamptz, text, text, text, text[], text)")
    op.drop_table('offline_freezes')
    op.drop_index(op.f('ix_purse_tokens_terminal_id'), table_name='purse_tokens')
    op.drop_table('purse_tokens')
    op.drop_index(op.f('ix_offline_purses_wallet_id'), table_name='offline_purses')
    op.drop_table('offline_purses')

"""Offline terminals: payments of terminal-made codes, uploaded records, per-terminal limits;
the offline_pay function (app/pos/offline/offline_pay.sql)

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-01 03:00:00

The function's text lives next to the module that calls it and is installed as it is when this
migration runs; a later change to the file comes with a migration that installs it again.
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "app" / "pos" / "offline" / "offline_pay.sql"


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    op.create_table('offline_payments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('terminal_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('confirmation', sa.String(length=10), nullable=False),
    sa.Column('sold_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    _fk('offline_payments', 'id', 'transactions'),
    _fk('offline_payments', 'terminal_id', 'terminals'),
    _fk('offline_payments', 'merchant_id', 'merchants'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_payments')),
    sa.UniqueConstraint('terminal_id', 'seq', name=op.f('uq_offline_payments_terminal_id')),
    )
    op.create_index(op.f('ix_offline_payments_merchant_id'), 'offline_payments', ['merchant_id'], unique=False)
    op.create_table('offline_reports',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('terminal_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sold_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offline_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('breaches', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    _fk('offline_reports', 'terminal_id', 'terminals'),
    _fk('offline_reports', 'merchant_id', 'merchants'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_reports')),
    sa.UniqueConstraint('terminal_id', 'seq', name=op.f('uq_offline_reports_terminal_id')),
    )
    op.create_index(op.f('ix_offline_reports_merchant_id'), 'offline_reports', ['merchant_id'], unique=False)
    op.create_table('terminal_offline_limits',
    sa.Column('terminal_id', sa.String(length=40), nullable=False),
    sa.Column('max_sale', sa.BigInteger(), nullable=False),
    sa.Column('max_total', sa.BigInteger(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('max_hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    _fk('terminal_offline_limits', 'terminal_id', 'terminals'),
    sa.PrimaryKeyConstraint('terminal_id', name=op.f('pk_terminal_offline_limits')),
    )
    op.execute(SQL.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS offline_pay(text, text, text, interval, text, text, text, text, bigint, text, "
               "bigint, text, text, timestamptz, text, text, text, timestamptz, text, text, text, text)")
    op.drop_table('terminal_offline_limits')
    op.drop_index(op.f('ix_offline_reports_merchant_id'), table_name='offline_reports')
    op.drop_table('offline_reports')
    op.drop_index(op.f('ix_offline_payments_merchant_id'), table_name='offline_payments')
    op.drop_table('offline_payments')

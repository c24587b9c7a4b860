"""purse_tokens.transaction_id indexed: a wallet's history page looks up an offline sale's time of
sale by the page's payments (app.history.wallet_page), and without an index each lookup was a
scan of every purse token ever paid, a cost that grew with the table on every page a phone polls
(the former sale_times.sold_at_of scanned it once a page for the same reason). Building it blocks
writes to purse_tokens (token uploads) for the length of the build.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-01 13:10:00
"""
from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_purse_tokens_transaction_id'), 'purse_tokens', ['transaction_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_purse_tokens_transaction_id'), table_name='purse_tokens')

"""webhook endpoints keep their previous secret for a grace period after a rotation

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:10:00

Both columns are empty until an endpoint is rotated; the worker signs with the previous secret
too while previous_secret_expires_at is in the future (app.merchant.webhooks.worker).
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret')

"""Merchant staff roles: owner, manager, cashier (app.merchant.roles)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 00:20:00

Until now a member was an owner or "staff", and staff could do everything but nothing was
checked. "staff" becomes "manager": they keep what they did every day (terminals, webhooks, QR
codes, sales), and lose only the merchant's API keys, which are the owner's from now on.
"""
from alembic import op

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE merchant_staff SET role = 'manager' WHERE role NOT IN ('owner', 'manager', 'cashier')")
    op.create_check_constraint("staff_role", "merchant_staff", "role IN ('owner', 'manager', 'cashier')")


def downgrade():
    op.drop_constraint("staff_role", "merchant_staff")
    op.execute("UPDATE merchant_staff SET role = 'staff' WHERE role <> 'owner'")

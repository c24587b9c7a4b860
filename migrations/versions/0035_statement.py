"""`fee` in payment webhooks: payment.succeeded, refund.succeeded and authorization.captured carry
the merchant's fee (a refund's: the fee it gave back), so the payment functions that write them are
installed again from their files (only their webhook_emit calls changed; the refunds' now come
after refund_post, whose returned fee they report).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 11:00:00
"""
from pathlib import Path

from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "checkout" / "qr_payments" / "qr_pay.sql", APP / "checkout" / "orders" / "order_refund.sql",
         APP / "checkout" / "confirmations" / "charge_confirm.sql", APP / "pos" / "charges" / "pos_charge.sql",
         APP / "pos" / "charges" / "pos_refund.sql",
         APP / "pos" / "offline" / "offline_pay.sql", APP / "pos" / "purse" / "purse.sql",
         APP / "pos" / "sql" / "terminal_holds.sql"]


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # The functions are installed from today's files whatever the revision (as every migration
    # that installs them does): the events keep their `fee`, which no column depends on.
    pass

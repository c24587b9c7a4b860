"""Refunds and top-ups in one call: pos_refund, order_refund, wallet_topup (and webhook_emit); qr_pay
pays a terminal's automatic-capture request too

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-01 03:00:00

The functions' texts live next to the modules that call them: app/merchant/sql/webhook_emit.sql
(the outbox rows, shared), app/pos/charges/pos_refund.sql, app/checkout/orders/order_refund.sql
and app/wallet/sql/wallet_topup.sql. This migration installs the files as they are when it runs;
a later change to a file comes with a migration of its own that installs it again.

qr_pay (app/checkout/qr_payments/qr_pay.sql) now also pays a terminal's automatic-capture payment
request, and its result gains a column (terminal_id, the terminal to wake), so it is dropped and
installed again. Downgrading leaves it so: the extra column is one the older caller never reads.
"""
from pathlib import Path

from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
QR_PAY = APP / "checkout" / "qr_payments" / "qr_pay.sql"
QR_PAY_SIGNATURE = ("text, text, text, interval, text, text, text, text, text, bigint, timestamptz, text, text, "
                    "text, text")
FILES = [APP / "merchant" / "sql" / "webhook_emit.sql", APP / "pos" / "charges" / "pos_refund.sql",
         APP / "checkout" / "orders" / "order_refund.sql", APP / "wallet" / "sql" / "wallet_topup.sql"]


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())
    op.execute(f"DROP FUNCTION IF EXISTS qr_pay({QR_PAY_SIGNATURE})")
    op.execute(QR_PAY.read_text())


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS wallet_topup(text, text, text, interval, text, text, bigint, bigint, text, "
               "timestamptz, text, text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS order_refund(text, text, text, interval, text, text, bigint, text, "
               "timestamptz, text, text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS pos_refund(text, text, text, interval, text, text, bigint, "
               "timestamptz, text, text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS webhook_emit(text, text, text, text, timestamptz)")

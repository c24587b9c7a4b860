"""The last Python postings in one call each, and one outbox function for all

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 04:00:00

A charge's reversal is one call (pos_reverse, with charge_answer: app/pos/charges/pos_reverse.sql).
qr_pay (app/checkout/qr_payments/qr_pay.sql) now also pays a terminal's manual-capture request (a
hold) and an order's code (the order marked paid, order.paid written with order_answer:
app/checkout/orders/order_answer.sql); it takes three more arguments, so the old one is dropped.

Three functions wrote a webhook event with its deliveries: webhook_emit, outbox_emit (holds) and
pos_event (charges), and qr_pay and offline_pay wrote the rows inline; the offline purse's
capture (app/pos/purse/purse.sql, 0024) called outbox_emit. webhook_emit
(app/merchant/sql/webhook_emit.sql) is now the only one: every caller is installed again from its
file, then the other two are dropped.

This migration installs the files as they are when it runs; a later change to a file comes with a
migration of its own that installs it again.
"""
from pathlib import Path

from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
QR_PAY_BEFORE = ("text, text, text, interval, text, text, text, text, text, bigint, timestamptz, text, text, "
                 "text, text")
FILES = [APP / "merchant" / "sql" / "webhook_emit.sql", APP / "pos" / "charges" / "pos_charge.sql",
         APP / "pos" / "sql" / "terminal_holds.sql", APP / "pos" / "offline" / "offline_pay.sql",
         APP / "pos" / "charges" / "pos_reverse.sql", APP / "checkout" / "orders" / "order_answer.sql",
         APP / "checkout" / "qr_payments" / "qr_pay.sql", APP / "pos" / "purse" / "purse.sql"]


def upgrade():
    op.execute(f"DROP FUNCTION IF EXISTS qr_pay({QR_PAY_BEFORE})")
    for sql in FILES:
        op.execute(sql.read_text())
    op.execute("DROP FUNCTION IF EXISTS pos_event(text, text, text, json, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS outbox_emit(text, text, text, jsonb, timestamptz)")


def downgrade():
    # The callers stay as they are (they call webhook_emit, which 0020 keeps); only what this
    # revision added goes. The older qr_pay is not brought back: its callers' Python is gone.
    op.execute("DROP FUNCTION IF EXISTS pos_reverse(text, text, text, interval, text, text, integer, timestamptz, "
               "text, text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS charge_answer(pos_charges, timestamptz)")

"""A terminal's refund and reversal are one function (pos_give_back); the money of every refund is
written once (refund_post)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-01 11:00:00

pos_refund and pos_reverse repeated each other (the key, the charge locked FOR UPDATE, the
terminal's KEY SHARE, the event, the transaction, the fee back, the transfer), and order_refund
repeated their money. Now:
- app/wallet/sql/refund_post.sql: refund_post, the refund's or reversal's transaction, the
  merchant's fee back (fee_refund) and the transfer (ledger_post), in that order, for every caller;
- app/pos/charges/pos_refund.sql: pos_give_back, a refund (an amount) or a reversal (a window),
  with the same checks, refusals, locks in the same order and the same answers as the two
  functions it replaces, which are dropped (app.pos.charges.refunds calls pos_give_back);
- app/checkout/orders/order_refund.sql: order_refund, calling refund_post.
pos_reverse.sql keeps charge_answer, unchanged (the earlier migrations read the file).

This migration installs the files as they are when it runs; a later change to a file comes with a
migration of its own that installs it again.
"""
from pathlib import Path

from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
# refund_post first: the others call it.
FILES = [APP / "wallet" / "sql" / "refund_post.sql", APP / "pos" / "charges" / "pos_refund.sql",
         APP / "checkout" / "orders" / "order_refund.sql"]
POS_REFUND = "pos_refund(text, text, text, interval, text, text, bigint, timestamptz, text, text, text, text)"
POS_REVERSE = "pos_reverse(text, text, text, interval, text, text, integer, timestamptz, text, text, text, text)"
OUT = "OUT status integer, OUT body text, OUT refusal text, OUT details json, OUT replayed boolean"
# The code of 0032 calls pos_refund and pos_reverse: after a downgrade they answer as they did, through
# pos_give_back (and order_refund through refund_post), which therefore stay.
WRAPPER = """
CREATE OR REPLACE FUNCTION {name}(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval, p_terminal_id text, p_charge_id text,
    {last} {kind}, p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text,
    p_event_id text, {out})
LANGUAGE sql AS $$
    SELECT * FROM pos_give_back(p_scope, p_key, p_fingerprint, p_ttl, p_terminal_id, p_charge_id,
                                {amount}, {window}, p_now, p_now_iso, p_transaction_id, p_transfer_id, p_event_id)
$$;
"""


def upgrade():
    for sql in FILES:
        op.execute(sql.read_text())
    op.execute(f"DROP FUNCTION IF EXISTS {POS_REFUND}")
    op.execute(f"DROP FUNCTION IF EXISTS {POS_REVERSE}")


def downgrade():
    op.execute(WRAPPER.format(name="pos_refund", last="p_amount", kind="bigint", out=OUT,
                              amount="p_amount", window="NULL"))
    op.execute(WRAPPER.format(name="pos_reverse", last="p_window", kind="integer", out=OUT,
                              amount="NULL", window="p_window"))

"""Fees: each merchant's discount rate (merchants.fee_rate_bps, fee_min, refund_returns_fee), the
global fee settings (fee_settings, one row 'global': top-up and P2P fees, whether refunds return
the merchant's fee), transactions.fee (the fee charged on a payment, or returned with a refund),
and the fee functions (app/wallet/sql/fees.sql), with the payment functions that call them
installed again from their files.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 05:30:00
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
# fees.sql first: the others call its functions.
FILES = [APP / "wallet" / "sql" / "fees.sql", APP / "wallet" / "sql" / "wallet_topup.sql",
         APP / "wallet" / "sql" / "wallet_transfer.sql", APP / "wallet" / "sql" / "holds.sql",
         APP / "checkout" / "qr_payments" / "qr_pay.sql", APP / "checkout" / "orders" / "order_refund.sql",
         APP / "pos" / "charges" / "pos_charge.sql", APP / "pos" / "charges" / "pos_refund.sql",
         APP / "pos" / "charges" / "pos_reverse.sql", APP / "pos" / "offline" / "offline_pay.sql",
         APP / "pos" / "purse" / "purse.sql"]
FEE_FUNCTIONS = {"fee_merchant_charge_lines": "text, text, text[], bigint[], bigint, text, text, text, timestamptz",
                 "fee_refund": "text, text, text, text, text, text, text, text, timestamptz, boolean",
                 "fee_user_charge": "text, text, text, bigint, text, text, timestamptz",
                 "fee_merchant_charge": "text, text, text, bigint, text, text, text, timestamptz",
                 "fee_post": "text, text, bigint, text, text, text, timestamptz",
                 "fee_revenue_account": "text, timestamptz", "fee_amount": "bigint, integer, bigint"}


def upgrade():
    op.add_column("merchants", sa.Column("fee_rate_bps", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("merchants", sa.Column("fee_min", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("merchants", sa.Column("refund_returns_fee", sa.Boolean(), nullable=True))
    op.create_check_constraint("merchant_fee_rate_range", "merchants", "fee_rate_bps BETWEEN 0 AND 10000")
    op.create_check_constraint("merchant_fee_min_not_negative", "merchants", "fee_min >= 0")
    op.add_column("transactions", sa.Column("fee", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "fee_settings",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("topup_rate_bps", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("topup_min", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("p2p_rate_bps", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("p2p_min", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("refund_returns_fee", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 'global'", name="fee_settings_one_row"),
        sa.CheckConstraint("topup_rate_bps BETWEEN 0 AND 10000 AND p2p_rate_bps BETWEEN 0 AND 10000",
                           name="fee_settings_rates"),
        sa.CheckConstraint("topup_min >= 0 AND p2p_min >= 0", name="fee_settings_minimums"))
    op.execute("INSERT INTO fee_settings (id) VALUES ('global')")
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # The payment functions (installed from today's files) call the fee functions: they are left
    # in place; with the columns gone they would fail, so a downgrade is only for an empty database.
    for name, args in FEE_FUNCTIONS.items():
        op.execute(f"DROP FUNCTION IF EXISTS {name}({args})")
    op.drop_table("fee_settings")
    op.drop_column("transactions", "fee")
    op.drop_constraint("merchant_fee_min_not_negative", "merchants")
    op.drop_constraint("merchant_fee_rate_range", "merchants")
    for column in ("refund_returns_fee", "fee_min", "fee_rate_bps"):
        op.drop_column("merchants", column)

"""A wallet's day and month totals for the tier limits move from limit_usage (two rows a wallet,
upserted by limits_debit on every outgoing payment) to four columns of the wallet's own accounts
row (day_start, day_used, month_start, month_used), which ledger_move already locks and updates:
the counters ride in the UPDATE that writes the balances, and ledger_move checks the limits itself
(limits_debit, limits_release and limits_balance go). Same refusals, periods and figures.
limit_usage keeps the merchants' refund totals (merchant_limits.sql), which are not on this path.

Existing totals are copied over (the row as it is: one whose period is past still counts as 0),
then the wallets' rows of limit_usage are deleted. ledger_move takes one more argument,
p_limits (default false: fees, debts and sweeps call it without limits, as before), so the old
signature is dropped first; ledger_post.sql and limits.sql are installed again from disk.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-01 13:30:00
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
FILES = [APP / "wallet" / "sql" / "limits.sql", APP / "wallet" / "sql" / "ledger_post.sql"]
OLD_MOVE = "text, text, text, text, text, bigint, text, text, timestamptz, bigint, timestamptz"
GONE = {"limits_debit": "text, text, bigint, timestamptz", "limits_release": "text, bigint, timestamptz",
        "limits_balance": "text, bigint, bigint"}

# The wallets' totals, from limit_usage to their accounts rows (tests/wallet/test_limits.py runs it).
MOVE = [*(f"UPDATE accounts AS a SET {period}_start = u.period_start, {period}_used = u.used "
          f"FROM limit_usage AS u WHERE u.account_id = a.id AND u.period = '{period}' AND a.kind = 'user'"
          for period in ("day", "month")),
        "DELETE FROM limit_usage AS u USING accounts AS a WHERE a.id = u.account_id AND a.kind = 'user'"]


def upgrade():
    op.add_column("accounts", sa.Column("day_start", sa.DateTime(timezone=True), nullable=True))
    op.add_column("accounts", sa.Column("day_used", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("accounts", sa.Column("month_start", sa.DateTime(timezone=True), nullable=True))
    op.add_column("accounts", sa.Column("month_used", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_check_constraint("limit_used_not_negative", "accounts", "day_used >= 0 AND month_used >= 0")
    for statement in MOVE:
        op.execute(statement)
    op.execute(f"DROP FUNCTION IF EXISTS ledger_move({OLD_MOVE})")
    for sql in FILES:
        op.execute(sql.read_text())
    for name, args in GONE.items():
        op.execute(f"DROP FUNCTION IF EXISTS {name}({args})")


def downgrade():
    # The totals go back to limit_usage. The functions stay as installed from today's files
    # (ledger_move keeps the counters in columns that are gone): as for every migration that
    # installs the files, a downgraded database runs the older code's own files again.
    for period in ("day", "month"):
        op.execute(f"INSERT INTO limit_usage (account_id, period, period_start, used) "
                   f"SELECT id, '{period}', {period}_start, {period}_used FROM accounts "
                   f"WHERE kind = 'user' AND {period}_start IS NOT NULL")
    op.drop_constraint("limit_used_not_negative", "accounts", type_="check")
    for column in ("month_used", "month_start", "day_used", "day_start"):
        op.drop_column("accounts", column)

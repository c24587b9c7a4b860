"""Request ids on webhook events; payment functions say when they replay a stored answer; merchants' own limits

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01 05:30:00

webhook_events.request_id: the id of the HTTP request that emitted the event (webhook_emit reads
it from the transaction's wallet.request_id setting, app/core/request_ids.py). Every payment
function that claims its own Idempotency-Key gains an OUT column `replayed` (true when the answer
is the one stored under the key), counted as wallet_idempotent_replays_total. A function's OUT
columns cannot be changed by CREATE OR REPLACE, so those functions are dropped (every overload of
the name, whatever its arguments) and installed again from their files.

merchants.max_charge and merchants.daily_refunds: limits a merchant's owner (or an admin operator)
sets, NULL for none, checked by pos_charge, vending_authorize and qr_pay (the largest charge) and
by pos_refund and order_refund (the day's refund total, counted in limit_usage under the
merchant's account): app/merchant/sql/merchant_limits.sql.

This migration installs the files as they are when it runs; a later change to a file comes with a
migration of its own that installs it again.
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

APP = Path(__file__).resolve().parents[2] / "app"
REPLAYING = ("wallet_topup", "wallet_transfer", "qr_pay", "order_refund", "authorization_settle",
             "request_hold_settle", "vending_authorize", "pos_reverse", "pos_charge", "pos_refund", "offline_pay")
FILES = [APP / "merchant" / "sql" / "webhook_emit.sql", APP / "merchant" / "sql" / "merchant_limits.sql",
         APP / "pos" / "sql" / "pos_code_take.sql", APP / "wallet" / "sql" / "wallet_topup.sql",
         APP / "wallet" / "sql" / "wallet_transfer.sql", APP / "checkout" / "qr_payments" / "qr_pay.sql",
         APP / "checkout" / "orders" / "order_refund.sql", APP / "pos" / "sql" / "terminal_holds.sql",
         APP / "pos" / "vending" / "vending_authorize.sql", APP / "pos" / "charges" / "pos_reverse.sql",
         APP / "pos" / "charges" / "pos_charge.sql", APP / "pos" / "charges" / "pos_refund.sql",
         APP / "pos" / "offline" / "offline_pay.sql"]
MERCHANT_LIMITS = ("max_charge", "daily_refunds")
DROP_BY_NAME = """
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_schema() AND p.proname = ANY(%s) LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $$;
"""
WEBHOOK_EMIT_0026 = """
CREATE OR REPLACE FUNCTION webhook_emit(p_event_id text, p_merchant_id text, p_type text, p_data text,
                                        p_now timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, merchant_id, type, data, created_at)
    VALUES (p_event_id, p_merchant_id, p_type, p_data, p_now);
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, attempts, next_attempt_at,
                                    created_at, updated_at)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), p_event_id, e.id, p_merchant_id, 'pending', 0,
           p_now, p_now, p_now
      FROM webhook_endpoints e
     WHERE e.merchant_id = p_merchant_id AND e.status = 'active' AND e.events::jsonb ? p_type;
END;
$$;
"""


def _names(names) -> str:
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::name[]"


def upgrade():
    op.add_column("webhook_events", sa.Column("request_id", sa.String(128), nullable=True))
    for limit in MERCHANT_LIMITS:  # IF NOT EXISTS: a downgrade keeps them (see downgrade)
        name = f"ck_merchants_merchant_{limit}_not_negative"  # the models' naming convention
        op.execute(f"ALTER TABLE merchants ADD COLUMN IF NOT EXISTS {limit} bigint")
        op.execute(f"ALTER TABLE merchants DROP CONSTRAINT IF EXISTS {name}")
        op.execute(f"ALTER TABLE merchants ADD CONSTRAINT {name} CHECK ({limit} >= 0)")
    op.execute(DROP_BY_NAME % _names(REPLAYING))
    for sql in FILES:
        op.execute(sql.read_text())


def downgrade():
    # Only the request id goes (webhook_emit as 0026 installed it). The payment functions stay as
    # installed from today's files (their callers read columns by name), and they call
    # pos_code_take and compare with merchants.max_charge / daily_refunds through the functions of
    # merchant_limits.sql: those columns and functions stay too (nullable, NULL is no limit), so a
    # downgraded database still takes payments.
    op.execute(WEBHOOK_EMIT_0026)
    op.drop_column("webhook_events", "request_id")

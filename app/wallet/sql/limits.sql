-- Tier limits, checked by ledger_move (ledger_post.sql) inside the posting's transaction, when
-- ledger_post calls it (app/wallet/limits.py reads the same columns for GET /api/v1/me/limits;
-- app/wallet/limit_rules.py is the pure specification). What is here: the helpers ledger_move
-- uses and the top-up's own check.
--
-- A user's tier (users.tier -> tiers) sets, in the minor units of the wallet's currency:
-- max_payment (one outgoing transfer), daily_out and monthly_out (outgoing totals per UTC day and
-- month), max_balance, max_topup and offline_allowance (the purse's number; read, not enforced here).
--
-- What ledger_move does with them, after the balance rules and before it writes anything:
--   * an outgoing posted or pending transfer from a user's wallet, unless to a system account (an
--     operator's approved adjustment is a correction, not the user spending): refused above
--     max_payment, then above daily_out, then above monthly_out (limit_exceeded, DETAIL as
--     limits_refuse words it), else added to the day's and the month's totals;
--   * a hold resolved for less than it took (a partial capture, a void or an expiry) gives the
--     difference back to the totals of the period it was counted in, if that is still the current one;
--   * a credit under a balance cap (a top-up, a transfer received) to a user's wallet: its balance
--     against the owner's max_balance.
-- The day's and the month's totals are counters on the wallet's own accounts row (day_start,
-- day_used, month_start, month_used; a counter whose start is past counts as 0), not sums over the
-- entries: a sum grows with the number of payments of the day. They ride in the UPDATE that writes
-- the wallet's balances, under the row lock ledger_move took first: two payments of one wallet
-- queue on the wallet, each sees the other's total, and a burst cannot pass the daily limit. (They
-- were rows of limit_usage until migration 0039: an upsert of two more rows per payment. That
-- table now keeps only the merchants' refund totals, merchant_limits.sql.)

-- The first instant of the next period: when what is used of a limit starts again from 0.
CREATE OR REPLACE FUNCTION limits_period_start(p_period text, p_now timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc(p_period, p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
$$;

CREATE OR REPLACE FUNCTION limits_refuse(p_limit text, p_amount bigint, p_remaining bigint, p_currency text,
                                         p_resets_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'limit_exceeded' USING DETAIL = json_build_object(
        'limit', p_limit, 'limit_amount', p_amount, 'remaining', greatest(p_remaining, 0), 'currency', p_currency,
        'resets_at', to_char(p_resets_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))::text;
END;
$$;

-- limits_topup: the largest single top-up of the user's tier, before anything is written.
CREATE OR REPLACE FUNCTION limits_topup(p_account_id text, p_amount bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    SELECT tiers.*, c.currency AS currency INTO t
      FROM accounts c JOIN users u ON u.id = c.user_id JOIN tiers ON tiers.name = u.tier
     WHERE c.id = p_account_id;
    IF FOUND AND p_amount > t.max_topup THEN
        PERFORM limits_refuse('max_topup', t.max_topup, t.max_topup, t.currency, NULL);
    END IF;
END;
$$;

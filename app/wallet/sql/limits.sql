-- Tier limits, checked by ledger_post inside the posting's transaction (app/wallet/limits.py reads
-- the same tables for GET /api/v1/me/limits; app/wallet/limit_rules.py is the pure specification).
--
-- A user's tier (users.tier -> tiers) sets, in the minor units of the wallet's currency:
-- max_payment (one outgoing transfer), daily_out and monthly_out (outgoing totals per UTC day and
-- month), max_balance, max_topup and offline_allowance (the purse's number; read, not enforced here).
--
-- The day's and the month's totals are counters (limit_usage: one row per wallet and period kind,
-- whose period_start rolls forward), not sums over the entries: a sum grows with the number of
-- payments of the day, and a counter row costs one upsert whatever the traffic. They are updated
-- only under the wallet's row lock, which ledger_move has taken before ledger_post calls these
-- functions: so two payments of one wallet queue on the wallet, then each sees the other's total,
-- and a burst cannot pass the daily limit. Lock order: account rows (key order), then the wallet's
-- counter rows ('day' < 'month'), whoever calls; a refusal is raised, undoing the posting with it.

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

-- limits_debit: an outgoing posted or pending transfer of p_amount from wallet p_account_id.
-- Not counted: a debit from anything but a user's wallet, and one to a system account (an
-- operator's approved adjustment is a correction, not the user spending).
CREATE OR REPLACE FUNCTION limits_debit(p_account_id text, p_credit_id text, p_amount bigint, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;  -- the tier's row and the wallet's currency
    counted record;
    day_start timestamptz := limits_period_start('day', p_now);
    month_start timestamptz := limits_period_start('month', p_now);
BEGIN
    SELECT tiers.*, d.currency AS currency INTO t
      FROM accounts d JOIN users u ON u.id = d.user_id JOIN tiers ON tiers.name = u.tier
     WHERE d.id = p_account_id AND d.kind = 'user'
       AND NOT EXISTS (SELECT 1 FROM accounts c WHERE c.id = p_credit_id AND c.kind = 'system');
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_amount > t.max_payment THEN
        PERFORM limits_refuse('max_payment', t.max_payment, t.max_payment, t.currency, NULL);
    END IF;
    FOR counted IN
        INSERT INTO limit_usage AS u (account_id, period, period_start, used)
        VALUES (p_account_id, 'day', day_start, p_amount), (p_account_id, 'month', month_start, p_amount)
        ON CONFLICT (account_id, period) DO UPDATE
           SET used = CASE WHEN u.period_start = EXCLUDED.period_start THEN u.used + EXCLUDED.used ELSE EXCLUDED.used END,
               period_start = EXCLUDED.period_start
        RETURNING u.period, u.used
    LOOP
        IF counted.period = 'day' AND counted.used > t.daily_out THEN
            PERFORM limits_refuse('daily_out', t.daily_out, t.daily_out - (counted.used - p_amount), t.currency,
                                  day_start + interval '1 day');
        ELSIF counted.period = 'month' AND counted.used > t.monthly_out THEN
            PERFORM limits_refuse('monthly_out', t.monthly_out, t.monthly_out - (counted.used - p_amount), t.currency,
                                  month_start + interval '1 month');
        END IF;
    END LOOP;
END;
$$;

-- limits_release: a hold resolved for less than it took (a partial capture, a void or an expiry)
-- gives the difference back to the totals of the period it was counted in, if that is still the current one.
CREATE OR REPLACE FUNCTION limits_release(p_account_id text, p_amount bigint, p_held_at timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$  -- PL/pgSQL keeps its plan (idempotency_claim.sql says why)
BEGIN
    UPDATE limit_usage SET used = greatest(used - p_amount, 0)
     WHERE account_id = p_account_id AND p_amount > 0
       AND period_start = limits_period_start(period, p_held_at);
END;
$$;

-- limits_balance: after a credit under a balance cap (a top-up, a transfer received), the
-- receiving wallet's balance against its owner's tier.
CREATE OR REPLACE FUNCTION limits_balance(p_account_id text, p_balance bigint, p_amount bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    SELECT tiers.*, c.currency AS currency INTO t
      FROM accounts c JOIN users u ON u.id = c.user_id JOIN tiers ON tiers.name = u.tier
     WHERE c.id = p_account_id AND c.kind = 'user';
    IF FOUND AND p_balance > t.max_balance THEN
        PERFORM limits_refuse('max_balance', t.max_balance, t.max_balance - (p_balance - p_amount), t.currency, NULL);
    END IF;
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

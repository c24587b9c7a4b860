-- Limits a merchant sets itself (merchants.max_charge, merchants.daily_refunds; NULL: none), in
-- the minor units of the merchant's currency (its one account's). app/merchant/limits.py reads and
-- sets them; these functions check them inside the payment functions' own transactions.
--
-- merchant_max_charge: the details of a limit_exceeded refusal when p_amount is above the
-- merchant's largest single charge, else NULL. A plain comparison (no counter, nothing to race),
-- made before anything is written: the terminal payment functions (pos_charge, vending_authorize)
-- return it as a refusal before the Idempotency-Key and the customer's code are taken, as a till
-- asking too much is the till's mistake; qr_pay raises it (MESSAGE limit_exceeded, DETAIL the
-- details, as the posting's limit checks raise theirs). Callers compare with the merchants row they
-- have read already and call this only to word a refusal: the check costs a payment no query.
CREATE OR REPLACE FUNCTION merchant_max_charge(p_merchant_id text, p_amount bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$  -- PL/pgSQL keeps its plan (idempotency_claim.sql says why)
BEGIN
    RETURN (SELECT json_build_object('limit', 'merchant_max_charge', 'limit_amount', m.max_charge,
                                     'remaining', m.max_charge, 'currency', m.currency, 'resets_at', NULL)
              FROM merchants m
             WHERE m.id = p_merchant_id AND p_amount > m.max_charge);
END;
$$;

-- merchant_refund_check: a refund (or a reversal) of p_amount paid back from the merchant's account
-- p_account_id, counted in the day's refund total (limit_usage row (account, 'day'); the wallets'
-- totals were rows there too until migration 0039) and refused with limit_exceeded above merchants.daily_refunds. The
-- upsert locks the counter row until the caller commits, so two refunds of one merchant at the
-- same moment queue there and the second sees the first's total: a burst cannot pass the limit.
-- Callers run it after locking the charge or order row and before ledger_post (lock order: the
-- charge or order, the counter row, then the accounts). Counted whether or not a limit is set, so
-- that GET /merchants/{id}/limits shows today's total and a limit set at noon counts the morning.
CREATE OR REPLACE FUNCTION merchant_refund_check(p_merchant_id text, p_account_id text, p_amount bigint,
                                                 p_now timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day_start timestamptz := limits_period_start('day', p_now);
    total bigint;
    m merchants%ROWTYPE;
BEGIN
    INSERT INTO limit_usage AS u (account_id, period, period_start, used)
    VALUES (p_account_id, 'day', day_start, p_amount)
    ON CONFLICT (account_id, period) DO UPDATE
       SET used = CASE WHEN u.period_start = EXCLUDED.period_start THEN u.used + EXCLUDED.used ELSE EXCLUDED.used END,
           period_start = EXCLUDED.period_start
    RETURNING u.used INTO total;
    SELECT * INTO m FROM merchants WHERE id = p_merchant_id;
    IF total > m.daily_refunds THEN
        RAISE EXCEPTION 'limit_exceeded' USING DETAIL = json_build_object(
            'limit', 'merchant_daily_refunds', 'limit_amount', m.daily_refunds,
            'remaining', greatest(m.daily_refunds - (total - p_amount), 0), 'currency', m.currency,
            'resets_at', to_char((day_start + interval '1 day') AT TIME ZONE 'UTC',
                                 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))::text;
    END IF;
END;
$$;

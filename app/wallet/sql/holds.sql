-- hold_settle: capture (all or part) or release one hold, inside the caller's transaction
-- (app.wallet.holds, and the terminal functions of app/pos/sql/terminal_holds.sql).
--
-- A hold is a 'pending' transfer of transaction p_txn_id; it is resolved once, by a
-- 'post_pending' (capture: posts p_amount, default all, and releases the rest in the same
-- transfer, as TigerBeetle's post_pending does) or a 'void_pending' (void, or expiry when
-- p_expiring). app/wallet/holds.py's docstring and rules.py are the readable specification.
--
-- Locks: both accounts, FOR NO KEY UPDATE in primary-key order (as ledger_move does, and before
-- it, so that the checks below read what a concurrent capture, void or sweeper committed: under
-- READ COMMITTED each statement after the lock sees the winner's rows). Callers that own a row
-- of their own for the hold (a vending authorization, a payment request) lock that row first, so
-- every path takes row, then accounts. The unique transfers.pending_id stands behind the check.
--
-- Refusals are raised (MESSAGE 'refused', HINT the key of app.wallet.holds.HOLD_REFUSALS,
-- DETAIL its details as JSON), so the caller's whole statement is undone:
--   hold_not_found, already_captured {captured_amount}, authorization_voided (a capture of a
--   voided or expired hold), hold_expired (a capture past expires_at, not yet released),
--   amount_exceeds_hold {held, requested}.
-- Not refusals: a void of a released hold answers it as it stands (changed = false); so does
-- the sweeper (p_expiring) for a hold resolved meanwhile or not yet due.
-- OUT status: the hold transaction's status now (authorized, captured, voided, expired);
-- OUT changed: whether this call resolved it; OUT amount: what was captured (0 if not);
-- OUT held: the hold's amount.
CREATE OR REPLACE FUNCTION hold_settle(
    p_txn_id text, p_kind text, p_amount bigint, p_expiring boolean, p_now timestamptz, p_transfer_id text,
    OUT status text, OUT changed boolean, OUT amount bigint, OUT held bigint)
LANGUAGE plpgsql AS $$
DECLARE
    pending transfers%ROWTYPE;
    resolution transfers%ROWTYPE;
    post bigint;
    shop text;
BEGIN
    changed := false;
    amount := 0;
    SELECT * INTO pending FROM transfers WHERE transaction_id = p_txn_id AND kind = 'pending';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'hold_not_found';
    END IF;
    held := pending.amount;
    PERFORM 1 FROM accounts WHERE id IN (pending.debit_account_id, pending.credit_account_id)
      ORDER BY id FOR NO KEY UPDATE;

    SELECT * INTO resolution FROM transfers WHERE pending_id = pending.id;
    IF FOUND THEN
        SELECT t.status INTO status FROM transactions AS t WHERE t.id = p_txn_id;
        IF resolution.kind = 'post_pending' THEN
            amount := resolution.amount;
        END IF;
        IF p_expiring THEN
            RETURN;  -- captured or voided meanwhile: nothing to release
        ELSIF resolution.kind = 'post_pending' THEN
            RAISE EXCEPTION 'refused' USING HINT = 'already_captured',
                DETAIL = json_build_object('captured_amount', resolution.amount)::text;
        ELSIF p_kind = 'post_pending' THEN
            RAISE EXCEPTION 'refused' USING HINT = 'authorization_voided';
        END IF;
        RETURN;  -- a second void: released already, answered as it stands
    END IF;

    IF p_kind = 'post_pending' AND pending.expires_at <= p_now THEN
        RAISE EXCEPTION 'refused' USING HINT = 'hold_expired';
    END IF;
    IF p_expiring AND (pending.expires_at IS NULL OR pending.expires_at > p_now) THEN
        status := 'authorized';
        RETURN;  -- not due (the sweeper's list was read before a clock it no longer trusts)
    END IF;
    post := CASE WHEN p_kind = 'post_pending' THEN coalesce(p_amount, pending.amount) ELSE pending.amount END;
    IF p_kind = 'post_pending' AND post > pending.amount THEN
        RAISE EXCEPTION 'refused' USING HINT = 'amount_exceeds_hold',
            DETAIL = json_build_object('held', pending.amount, 'requested', post)::text;
    END IF;

    PERFORM ledger_post(p_transfer_id, p_txn_id, p_kind, pending.debit_account_id, pending.credit_account_id,
                        post, pending.currency, pending.id, NULL, NULL, p_now);
    -- A capture for a merchant is a payment: its fee (fees.sql), from the merchant account the
    -- capture credited (a hold is resolved against the account itself, not a bucket).
    SELECT merchant_id INTO shop FROM accounts WHERE id = pending.credit_account_id AND kind = 'merchant';
    IF p_kind = 'post_pending' AND shop IS NOT NULL AND post > 0 THEN
        PERFORM fee_merchant_charge(p_txn_id, shop, pending.credit_account_id, post, pending.currency, NULL,
                                    (SELECT terminal_id FROM transactions WHERE id = p_txn_id), p_now);
    END IF;
    status := CASE WHEN p_kind = 'post_pending' THEN 'captured' WHEN p_expiring THEN 'expired' ELSE 'voided' END;
    UPDATE transactions SET status = hold_settle.status WHERE id = p_txn_id;
    changed := true;
    amount := CASE WHEN p_kind = 'post_pending' THEN post ELSE 0 END;
END;
$$;

-- A stored time as the API writes it (app.core.clock.iso, Python's isoformat in UTC): the
-- functions that build answers and webhook events in SQL must write exactly the same string,
-- microseconds only when there are any. STABLE, as to_char and extract of a timestamptz are: an
-- IMMUTABLE LANGUAGE sql function whose body is less than that is not inlined into its caller's
-- plan but run (and planned again in every transaction) as a function of its own.
CREATE OR REPLACE FUNCTION api_time(p_at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_at IS NULL THEN NULL ELSE
        to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM p_at)::bigint % 1000000 <> 0
                THEN to_char(p_at AT TIME ZONE 'UTC', '.US') ELSE '' END
        || '+00:00' END;
$$;

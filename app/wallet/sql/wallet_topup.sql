-- wallet_topup: money from a funding source into the user's wallet, in one call
-- (app.wallet.services.topup). The processor (the sandbox) has already approved the charge:
-- the caller asks it, with the Idempotency-Key, before this call and passes its reference.
--
-- In one round trip and inside the caller's transaction (autocommit: the statement is the transaction):
--   0. the user: active and verified (payer_refusal); not stored under the key, as before;
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the wallet: the user's own (a 404 otherwise) and active; the amount within the tier's max_topup;
--   3. the top-up float of the wallet's currency (a system account that may go negative: its
--      debit balance is the money that came in from outside), created on first use;
--   4. the transaction and its transfer, float -> wallet, through ledger_post, which locks both
--      accounts in key order and refuses balance_limit_exceeded against p_cap under that lock;
--   5. the answer stored under the key.
-- Refusals are keys of app.wallet.services.TOPUP_REFUSALS. Those of step 0 (and a conflicting key)
-- come back as `refusal`, nothing written; those after the claim are raised (MESSAGE 'refused',
-- HINT the key), so the statement, claim included, is undone and the caller stores the refusal
-- under the key in a transaction of its own.
CREATE OR REPLACE FUNCTION wallet_topup(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_user_id text, p_wallet_id text, p_amount bigint, p_cap bigint, p_reference text,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_float_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    wallet accounts%ROWTYPE;
    float_id text;
    fee bigint;
BEGIN
    refusal := payer_refusal(p_user_id);
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT * INTO claim FROM idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;  -- the first answer, replayed
        END IF;
    END IF;

    SELECT * INTO wallet FROM accounts WHERE id = p_wallet_id AND user_id = p_user_id AND kind = 'user';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wallet_not_found';
    END IF;
    IF wallet.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wallet_frozen';
    END IF;
    PERFORM limits_topup(wallet.id, p_amount);  -- the tier's largest top-up (limits.sql); raises limit_exceeded

    -- As app.wallet.ledger.system_account: the unique (code, currency) decides between two firsts.
    SELECT id INTO float_id FROM accounts WHERE code = 'topup_float' AND currency = wallet.currency;
    IF float_id IS NULL THEN
        INSERT INTO accounts (id, kind, code, currency, no_overdraft, status, debits_posted, credits_posted,
                              debits_pending, credits_pending, entry_count, last_hash, created_at, credit_buckets)
        VALUES (p_float_id, 'system', 'topup_float', wallet.currency, false, 'active', 0, 0, 0, 0, 0,
                repeat('0', 64), p_now, 0)
        ON CONFLICT DO NOTHING;
        SELECT id INTO float_id FROM accounts WHERE code = 'topup_float' AND currency = wallet.currency;
    END IF;

    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, created_at)
    VALUES (p_transaction_id, 'topup', 'succeeded', p_amount, wallet.currency, float_id, wallet.id, p_user_id,
            p_reference, p_now);
    PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', float_id, wallet.id, p_amount,
                        wallet.currency, NULL, NULL, p_cap, p_now);
    -- The top-up fee, if configured, is deducted: the wallet is credited the amount, then pays the
    -- fee as a transfer of its own (fees.sql), so the balance grows by amount - fee.
    fee := fee_user_charge('topup', p_transaction_id, wallet.id, p_amount, wallet.currency, p_user_id, p_now);

    status := 201;
    body := json_build_object('id', p_transaction_id, 'status', 'succeeded', 'amount', p_amount,
                              'currency', wallet.currency, 'wallet_id', wallet.id, 'fee', fee,
                              'created_at', p_now_iso)::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, wallet_topup.body);
    END IF;
END;
$$;

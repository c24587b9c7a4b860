-- wallet_transfer: a person sends money to another person, in one call (app.wallet.services.transfer).
--
-- In one round trip and inside the caller's transaction:
--   0. checks the sender: an active, verified user (the token said who; this says whether they
--      may still pay). These refusals (inactive_user, not_verified) come before the key is
--      claimed and are not stored under it: they answer no request in particular.
--   1. claims the Idempotency-Key with idempotency_claim (app/core/sql/idempotency_claim.sql): a
--      second request with the same key waits until the first commits and gets its answer (status,
--      body) unchanged; another request under the same key is refused as idempotency_conflict.
--   2. checks what needs data: the sender's wallet in the currency (currency_not_supported if
--      none, wallet_frozen), the recipient by wallet id, phone or e-mail (recipient_not_found
--      unless verified and active, currency_not_supported, self_transfer, recipient_frozen).
--      The sender's PIN is checked by the caller before, when the amount needs it (argon2 and
--      the PIN lock live in Python and the store).
--   3. writes the transaction row and posts it with ledger_post (which locks both accounts in key
--      order and refuses insufficient_funds and balance_limit_exceeded by raising, so that nothing
--      of this call is kept), then stores the answer under the key.
-- Refusals are keys of app.wallet.services.TRANSFER_REFUSALS. Those of step 0 (and a conflicting
-- key) come back as `refusal`, nothing written. Those after the claim are raised (MESSAGE
-- 'refused', HINT the key, DETAIL its details as JSON), so the statement, claim included, is
-- undone; the caller then stores the refusal under the key in a transaction of its own, as for
-- every refused payment. (Returning them would commit the bare claim: the statement runs in
-- autocommit.)
CREATE OR REPLACE FUNCTION wallet_transfer(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_user_id text, p_currency text, p_to_wallet text, p_to_phone text, p_to_email text,
    p_amount bigint, p_note text, p_cap bigint, p_now timestamptz, p_now_iso text,
    p_transaction_id text, p_transfer_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    source accounts%ROWTYPE;
    target accounts%ROWTYPE;
    owner users%ROWTYPE;
    posted record;
    fee bigint;
    balance_after bigint;
BEGIN
    refusal := payer_refusal(p_user_id);
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;

    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;  -- the first answer, replayed
        END IF;
    END IF;

    SELECT * INTO source FROM accounts WHERE user_id = p_user_id AND currency = p_currency AND kind = 'user';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'no_source_wallet', DETAIL = json_build_object('currency', p_currency)::text;
    END IF;
    IF source.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'source_frozen';
    END IF;

    IF p_to_wallet IS NOT NULL THEN
        SELECT * INTO target FROM accounts WHERE id = p_to_wallet AND kind = 'user';
        IF FOUND THEN
            SELECT * INTO owner FROM users WHERE id = target.user_id;
        END IF;
        -- A disabled or unverified owner is as unreachable by wallet id as by phone or e-mail.
        IF target.id IS NULL OR owner.id IS NULL OR owner.verified_at IS NULL OR owner.status <> 'active' THEN
            RAISE EXCEPTION 'refused' USING HINT = 'no_wallet_with_id';
        END IF;
        IF target.currency <> p_currency THEN
            RAISE EXCEPTION 'refused' USING HINT = 'wallet_in_other_currency',
                DETAIL = json_build_object('held', target.currency, 'currency', p_currency)::text;
        END IF;
    ELSE
        SELECT * INTO owner FROM users WHERE (p_to_phone IS NOT NULL AND phone = p_to_phone)
                                          OR (p_to_email IS NOT NULL AND email = p_to_email);
        IF owner.id IS NULL OR owner.verified_at IS NULL OR owner.status <> 'active' THEN
            RAISE EXCEPTION 'refused' USING HINT = 'nobody_with_identifier';
        END IF;
        SELECT * INTO target FROM accounts WHERE user_id = owner.id AND currency = p_currency AND kind = 'user';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'refused' USING HINT = 'recipient_without_wallet', DETAIL = json_build_object('currency', p_currency)::text;
        END IF;
    END IF;
    IF target.user_id = p_user_id THEN
        RAISE EXCEPTION 'refused' USING HINT = 'self_transfer';
    END IF;
    IF target.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'recipient_frozen';
    END IF;

    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, note, created_at)
    VALUES (p_transaction_id, 'transfer', 'succeeded', p_amount, p_currency, source.id, target.id,
            p_user_id, p_note, p_now);
    posted := ledger_post(p_transfer_id, p_transaction_id, 'posted', source.id, target.id,
                                          p_amount, p_currency, NULL, NULL, p_cap, p_now);
    -- The P2P fee, if configured, is paid by the sender on top of the amount (the recipient gets
    -- all of it), as a transfer of its own (fees.sql); insufficient_funds if the sender cannot pay both.
    fee := fee_user_charge('p2p', p_transaction_id, source.id, p_amount, p_currency, p_user_id, p_now);
    balance_after := posted.debit_credits_posted - posted.debit_debits_posted - fee;

    -- The answer as app.wallet.presenters.transaction_out shapes it for the sender.
    status := 201;
    body := json_build_object(
        'id', p_transaction_id, 'type', 'transfer', 'amount', -p_amount, 'currency', p_currency,
        'balance_after', balance_after, 'fee', fee,
        'counterparty', json_build_object('type', 'user', 'name', owner.name, 'wallet_id', target.id),
        'status', 'succeeded', 'reference', NULL, 'note', p_note, 'wallet_id', source.id,
        'created_at', p_now_iso)::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, wallet_transfer.body);
    END IF;
END;
$$;

-- vending_authorize: a vending machine holds the maximum price on the wallet behind the code the
-- customer shows, in one call (app.pos.vending.services.authorize). Uses pos_refused
-- (app/pos/charges/pos_charge.sql) and payment_code_take (app/qr/devices/payment_code_take.sql).
-- In one round trip, one transaction (autocommit):
--   0. refusals that need no code, answered without writing anything or storing under the key
--      (the code stays usable): the terminal's currency ('terminal_currency', p_currency NULL
--      means the merchant's), an amount above p_max_amount ('amount_too_large': a machine cannot
--      ask for a PIN), a merchant or account that cannot take payments ('merchant_closed');
--   1. the Idempotency-Key (idempotency_claim): a retry gets the first answer, never a second take;
--   2. the code: Python's refusal (p_code_refusal) or payment_code_take, the PIN lock, the
--      wallet's currency; each recorded as a failed authorization (pos_refused), 402;
--   3. in a block of its own (a savepoint): the hold's transaction and a pending transfer through
--      ledger_post (locking both accounts in key order; it raises insufficient_funds when the
--      available balance is short, which undoes the block only and is recorded like step 2),
--      then the authorization row pointing at the hold;
--   4. the answer, stored under the key.
-- No webhook event: an authorization is announced when it is captured, voided or expires.
-- Locks, held to the commit: the key's row, the used code's key, then both accounts in key order
-- (ledger_post); a capture or void later locks the authorization row, then the same accounts.
CREATE OR REPLACE FUNCTION vending_authorize(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_merchant_id text, p_device_id text, p_step bigint, p_slot integer,
    p_code_refusal text, p_pin_locked boolean, p_amount bigint, p_currency text, p_reference text,
    p_max_amount bigint, p_expires_at timestamptz, p_expires_iso text, p_messages json,
    p_now timestamptz, p_now_iso text, p_charge_id text, p_transaction_id text, p_transfer_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    claimed bigint;
    payer_user text;
    payer_wallet text;
    shop merchants%ROWTYPE;
    till accounts%ROWTYPE;
    currency text;
BEGIN
    SELECT * INTO shop FROM merchants WHERE id = p_merchant_id;
    currency := coalesce(p_currency, shop.currency);
    IF currency <> shop.currency THEN
        refusal := 'terminal_currency'; details := json_build_object('currency', shop.currency); RETURN;
    END IF;
    IF p_amount > p_max_amount THEN
        refusal := 'amount_too_large'; details := json_build_object('max_amount', p_max_amount); RETURN;
    END IF;
    IF p_amount > shop.max_charge THEN  -- the merchant's own limit (merchant_limits.sql)
        refusal := 'merchant_limit'; details := merchant_max_charge(shop.id, p_amount); RETURN;
    END IF;
    SELECT * INTO till FROM accounts WHERE merchant_id = p_merchant_id AND accounts.currency = shop.currency
                                        AND kind = 'merchant';
    IF shop.status <> 'active' OR till.id IS NULL OR till.status <> 'active' THEN
        refusal := 'merchant_closed'; RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT * INTO claim FROM idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;  -- the first answer, replayed
        END IF;
        claimed := claim.claimed;
    END IF;

    SELECT t.refusal, t.user_id, t.wallet_id INTO refusal, payer_user, payer_wallet  -- app/pos/sql/pos_code_take.sql
      FROM pos_code_take(p_code_refusal, p_device_id, p_step, p_slot, p_pin_locked, currency, p_now) AS t;
    IF refusal IS NULL THEN
        BEGIN
            -- The hold's transaction carries the terminal id, so batches find its capture.
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      initiator_id, reference, terminal_id, created_at)
            VALUES (p_transaction_id, 'hold', 'authorized', p_amount, currency, payer_wallet, till.id, payer_user,
                    p_reference, p_terminal_id, p_now);
            PERFORM ledger_post(p_transfer_id, p_transaction_id, 'pending', payer_wallet, till.id, p_amount,
                                currency, NULL, p_expires_at, NULL, p_now);
        EXCEPTION WHEN raise_exception THEN
            -- ledger_post's code: insufficient_funds, ...; a freeze that committed after the code
            -- was taken is the terminal's payer_frozen, as payment_code_take would have said.
            refusal := CASE WHEN SQLERRM = 'wallet_frozen' THEN 'payer_frozen' ELSE SQLERRM END;
        END;
    END IF;
    IF refusal IS NOT NULL THEN
        SELECT * INTO status, body FROM pos_refused(
            'authorization', p_charge_id, p_terminal_id, shop.id, payer_user, payer_wallet, p_amount, currency,
            p_reference, refusal, coalesce(p_messages ->> refusal, refusal), NULL, claimed, p_now, p_now_iso);
        RETURN;
    END IF;

    INSERT INTO pos_charges (id, kind, terminal_id, merchant_id, user_id, wallet_id, amount, currency, reference,
                             status, transaction_id, captured_amount, refunded_amount, expires_at, created_at,
                             updated_at)
    VALUES (p_charge_id, 'authorization', p_terminal_id, shop.id, payer_user, payer_wallet, p_amount, currency,
            p_reference, 'authorized', p_transaction_id, 0, 0, p_expires_at, p_now, p_now);
    status := 201;
    body := json_build_object(
        'id', p_charge_id, 'status', 'authorized', 'amount', p_amount, 'currency', currency,
        'captured_amount', 0, 'expires_at', p_expires_iso, 'reference', p_reference, 'failure_code', NULL,
        'created_at', p_now_iso)::text;
    IF claimed IS NOT NULL THEN
        PERFORM idempotency_answer(claimed, status, body);
    END IF;
END;
$$;

-- pos_refused: a refused terminal charge or vending authorization, recorded (status 'failed'
-- with its code, so the till can print it and the merchant find it), and its 402 answer stored
-- under the claimed key. The answer names only the record: the shop must not learn the
-- customer's balance. A charge's refusal also sends payment.failed (p_event_id); a vending
-- authorization's sends nothing, as before.
CREATE OR REPLACE FUNCTION pos_refused(
    p_kind text, p_id text, p_terminal_id text, p_merchant_id text, p_user_id text, p_wallet_id text,
    p_amount bigint, p_currency text, p_reference text, p_code text, p_message text, p_event_id text,
    p_claimed bigint, p_now timestamptz, p_now_iso text, OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pos_charges (id, kind, terminal_id, merchant_id, user_id, wallet_id, amount, currency, reference,
                             status, failure_code, captured_amount, refunded_amount, created_at, updated_at)
    VALUES (p_id, p_kind, p_terminal_id, p_merchant_id, p_user_id, p_wallet_id, p_amount, p_currency, p_reference,
            'failed', p_code, 0, 0, p_now, p_now);
    IF p_event_id IS NOT NULL THEN
        PERFORM webhook_emit(p_event_id, p_merchant_id, 'payment.failed', json_build_object(
            'charge_id', p_id, 'merchant_id', p_merchant_id, 'terminal_id', p_terminal_id, 'amount', p_amount,
            'currency', p_currency, 'reference', p_reference, 'created_at', p_now_iso, 'failure_code', p_code)::text,
            p_now);
    END IF;
    status := 402;
    body := json_build_object('error', json_build_object('code', p_code, 'message', p_message, 'details',
        json_build_object(CASE WHEN p_kind = 'charge' THEN 'charge_id' ELSE 'authorization_id' END, p_id)))::text;
    IF p_claimed IS NOT NULL THEN
        PERFORM idempotency_answer(p_claimed, status, body);
    END IF;
END;
$$;

-- pos_charge: a terminal charges the code the customer shows, in one call
-- (app.pos.charges.services.create_charge). In one round trip, one transaction (autocommit):
--   0. the merchant takes this currency (else refusal 'merchant_currency', 422, nothing written
--      and nothing stored under the key: a till set to the wrong currency must not use up codes);
--   1. the Idempotency-Key, with idempotency_claim: a retry, even one sent at the same moment
--      (it waits on the key's unique index), gets the first answer and never takes the code again;
--   2. the code (pos_code_take, shared with vending_authorize): a refusal Python found (invalid,
--      expired: p_code_refusal), or payment_code_take (revoked, frozen, used), then the payer's PIN lock (p_pin_locked, read from the store) and
--      the wallet's currency. Each is recorded by pos_refused and answered 402; a code taken here
--      stays taken when a later step refuses, as a scanned code is one consent, used once;
--   3. above p_confirm_above, the charge waits for the customer's PIN in the app
--      (requires_confirmation until p_expires_at; app.checkout.confirmations pays it);
--   4. otherwise, in a block of its own (a savepoint): KEY SHARE on the terminal row (a batch
--      close locks it FOR UPDATE: see app.pos.batches.services.hold_batch_open), payment.succeeded
--      and its deliveries, the transaction, and ledger_post (which locks both accounts in key order
--      and raises insufficient_funds). ledger_post's refusal undoes the block only: the charge is
--      then recorded as failed with that code, the code staying taken, as before;
--   5. the charge row (pointing at the transaction) and the answer, stored under the key.
-- Locks, in this order, all held to the commit: the key's row (a duplicate queues there, before
-- anything else), the used code's key (a second till with the same code queues there, then is
-- refused), KEY SHARE on the terminal, then the two accounts: the order every payment takes, so
-- a charge cannot deadlock with a confirmation, a refund or a batch close.
-- OUT refusal without status: refused before the key (step 0, a conflicting key); with status 402:
-- the recorded refusal's code (the caller counts payment code refusals against the terminal).
CREATE OR REPLACE FUNCTION pos_charge(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_merchant_id text, p_device_id text, p_step bigint, p_slot integer,
    p_code_refusal text, p_pin_locked boolean, p_amount bigint, p_currency text, p_reference text,
    p_confirm_above bigint, p_expires_at timestamptz, p_expires_iso text, p_messages json,
    p_now timestamptz, p_now_iso text, p_charge_id text, p_transaction_id text, p_transfer_id text,
    p_event_id text, OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    claimed bigint;
    payer_user text;
    payer_wallet text;
    shop merchants%ROWTYPE;
    till accounts%ROWTYPE;
    owner_name text[];
    display text;
    charge_status text := 'succeeded';
    posted record;
    fee bigint := 0;
BEGIN
    SELECT * INTO shop FROM merchants WHERE id = p_merchant_id;
    SELECT * INTO till FROM accounts WHERE merchant_id = p_merchant_id AND currency = p_currency AND kind = 'merchant';
    IF shop.id IS NULL OR shop.status <> 'active' OR till.id IS NULL OR till.status <> 'active' THEN
        refusal := 'merchant_currency'; RETURN;
    END IF;
    IF p_amount > shop.max_charge THEN  -- the merchant's own limit (merchant_limits.sql): the code stays usable
        refusal := 'merchant_limit'; details := merchant_max_charge(shop.id, p_amount); RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;  -- the first answer, replayed
        END IF;
        claimed := claim.claimed;
    END IF;

    SELECT t.refusal, t.user_id, t.wallet_id INTO refusal, payer_user, payer_wallet  -- app/pos/sql/pos_code_take.sql
      FROM pos_code_take(p_code_refusal, p_device_id, p_step, p_slot, p_pin_locked, p_currency, p_now) AS t;

    IF refusal IS NULL AND p_amount <= p_confirm_above THEN
        BEGIN
            PERFORM 1 FROM terminals WHERE id = p_terminal_id FOR KEY SHARE;
            -- The event before the transfer, as every payment writes it; its fee by the rule
            -- fee_merchant_charge applies below (fees.sql), from the merchant's rate.
            PERFORM webhook_emit(p_event_id, shop.id, 'payment.succeeded', json_build_object(
                'charge_id', p_charge_id, 'merchant_id', shop.id, 'terminal_id', p_terminal_id, 'amount', p_amount,
                'currency', p_currency, 'reference', p_reference, 'created_at', p_now_iso,
                'id', p_transaction_id, 'transaction_id', p_transaction_id,
                'fee', fee_amount(p_amount, shop.fee_rate_bps, shop.fee_min))::text, p_now);
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      initiator_id, reference, terminal_id, created_at)
            VALUES (p_transaction_id, 'payment', 'succeeded', p_amount, p_currency, payer_wallet, till.id,
                    payer_user, p_reference, p_terminal_id, p_now);
            posted := ledger_post(p_transfer_id, p_transaction_id, 'posted', payer_wallet, till.id,
                                                  p_amount, p_currency, NULL, NULL, NULL, p_now);
            fee := fee_merchant_charge(p_transaction_id, shop.id, posted.credit_id, p_amount, p_currency,
                                       payer_user, p_terminal_id, p_now);
        EXCEPTION WHEN raise_exception THEN
            -- ledger_post's code: insufficient_funds, ...; a freeze that committed after the code
            -- was taken is the terminal's payer_frozen, as payment_code_take would have said.
            refusal := CASE WHEN SQLERRM = 'wallet_frozen' THEN 'payer_frozen' ELSE SQLERRM END;
        END;
    ELSIF refusal IS NULL THEN
        charge_status := 'requires_confirmation';  -- nothing moves until the customer approves
    END IF;

    IF refusal IS NOT NULL THEN
        SELECT * INTO status, body FROM pos_refused(
            'charge', p_charge_id, p_terminal_id, shop.id,
            payer_user, payer_wallet,
            p_amount, p_currency, p_reference, refusal, coalesce(p_messages ->> refusal, refusal), p_event_id,
            claimed, p_now, p_now_iso);
        RETURN;
    END IF;

    INSERT INTO pos_charges (id, kind, terminal_id, merchant_id, user_id, wallet_id, amount, currency, reference,
                             status, transaction_id, captured_amount, refunded_amount, expires_at, created_at,
                             updated_at)
    VALUES (p_charge_id, 'charge', p_terminal_id, shop.id, payer_user, payer_wallet, p_amount, p_currency,
            p_reference, charge_status,
            CASE WHEN charge_status = 'succeeded' THEN p_transaction_id END,
            CASE WHEN charge_status = 'succeeded' THEN p_amount ELSE 0 END, 0,
            CASE WHEN charge_status = 'succeeded' THEN NULL ELSE p_expires_at END, p_now, p_now);
    -- "Alice Dupont" -> "Alice D.", as app.pos.charges.services.owner_display: never the phone.
    SELECT regexp_split_to_array(regexp_replace(name, '^\s+|\s+$', '', 'g'), '\s+') INTO owner_name FROM users WHERE id = payer_user;
    IF owner_name IS NOT NULL AND owner_name[1] <> '' THEN
        display := CASE WHEN cardinality(owner_name) = 1 THEN owner_name[1]
                        ELSE owner_name[1] || ' ' || left(owner_name[cardinality(owner_name)], 1) || '.' END;
    END IF;
    status := 201;
    body := json_build_object(
        'id', p_charge_id, 'status', charge_status, 'amount', p_amount, 'currency', p_currency,
        'reference', p_reference, 'wallet_owner_display', display, 'created_at', p_now_iso,
        'transaction_id', CASE WHEN charge_status = 'succeeded' THEN p_transaction_id END,
        'expires_at', CASE WHEN charge_status = 'succeeded' THEN NULL ELSE p_expires_iso END,
        'refunded_amount', 0, 'failure_code', NULL)::text;  -- as charge_out: its fee is on the receipt
    IF claimed IS NOT NULL THEN
        PERFORM idempotency_answer(claimed, status, body);
    END IF;
END;
$$;

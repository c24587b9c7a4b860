-- offline_pay: the app pays a code that a terminal made offline, in one call
-- (app.pos.offline.payments.pay, reached through POST /api/v1/qr/payments). Python has already
-- read the code, checked its MAC with the terminal's key, its age and the PIN, and computed the
-- confirmation (all need the terminal's secret, which the database cannot decrypt).
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   0. the payer: an active, verified user (refused before the key is claimed, not stored under it);
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer, confirmation included);
--   2. the payer's wallet (404 if not theirs); the terminal, KEY SHARE locked as every booking
--      for a terminal takes it (a batch close waits for bookings in flight), and active; the
--      currency, a frozen wallet, the merchant and its account;
--   3. the payment.succeeded event (offline: true, sold_at) and its deliveries, the transaction
--      row, then the offline_payments row: its UNIQUE (terminal_id, seq) is the "paid once" lock.
--      A second payer of the same code waits there for the first's commit and is refused
--      already_paid; if the first rolls back (insufficient funds) the second goes on. Then the
--      transfer through ledger_post (both accounts locked in key order) and the stored answer.
-- Refusals after the claim are raised (MESSAGE 'refused', HINT the key of
-- app.pos.offline.payments.REFUSALS), undoing the statement, claim included.
CREATE OR REPLACE FUNCTION offline_pay(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_user_id text, p_wallet_id text, p_terminal_id text, p_merchant_id text, p_seq bigint, p_nonce text,
    p_amount bigint, p_currency text, p_reference text, p_sold_at timestamptz, p_sold_iso text,
    p_confirmation text, p_confirmation_payload text,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    wallet accounts%ROWTYPE;
    till_terminal terminals%ROWTYPE;
    shop merchants%ROWTYPE;
    till accounts%ROWTYPE;
    event_data text;
    first_payer integer;
    posted record;
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
    SELECT * INTO till_terminal FROM terminals WHERE id = p_terminal_id AND merchant_id = p_merchant_id FOR KEY SHARE;
    IF NOT FOUND OR till_terminal.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'terminal_closed';
    END IF;
    IF wallet.currency <> p_currency THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wrong_currency', DETAIL = json_build_object('code_currency', p_currency)::text;
    END IF;
    IF wallet.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wallet_frozen';
    END IF;
    SELECT * INTO shop FROM merchants WHERE id = p_merchant_id;
    SELECT * INTO till FROM accounts WHERE merchant_id = p_merchant_id AND currency = p_currency AND kind = 'merchant';
    IF shop.status <> 'active' OR till.id IS NULL OR till.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'merchant_closed';
    END IF;

    event_data := json_build_object(
        'id', p_transaction_id, 'transaction_id', p_transaction_id, 'amount', p_amount, 'currency', p_currency,
        'reference', NULLIF(p_reference, ''), 'qr_code_id', NULL, 'terminal_id', p_terminal_id, 'order_id', NULL,
        'offline', true, 'sequence', p_seq, 'sold_at', p_sold_iso, 'created_at', p_now_iso,
        'fee', fee_amount(p_amount, shop.fee_rate_bps, shop.fee_min))::text;  -- as fee_merchant_charge below
    PERFORM webhook_emit(p_event_id, shop.id, 'payment.succeeded', event_data, p_now);

    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, terminal_id, created_at)
    VALUES (p_transaction_id, 'payment', 'succeeded', p_amount, p_currency, wallet.id, till.id, p_user_id,
            NULLIF(p_reference, ''), p_terminal_id, p_now);
    INSERT INTO offline_payments (id, terminal_id, merchant_id, seq, nonce, amount, currency, confirmation,
                                  sold_at, paid_at)
    VALUES (p_transaction_id, p_terminal_id, p_merchant_id, p_seq, p_nonce, p_amount, p_currency, p_confirmation,
            p_sold_at, p_now)
    ON CONFLICT (terminal_id, seq) DO NOTHING;
    GET DIAGNOSTICS first_payer = ROW_COUNT;
    IF first_payer = 0 THEN
        RAISE EXCEPTION 'refused' USING HINT = 'already_paid';
    END IF;
    SELECT * INTO posted FROM ledger_post(p_transfer_id, p_transaction_id, 'posted', wallet.id, till.id, p_amount,
                                          p_currency, NULL, NULL, NULL, p_now);
    fee := fee_merchant_charge(p_transaction_id, shop.id, posted.credit_id, p_amount, p_currency, p_user_id,
                               p_terminal_id, p_now);  -- the merchant's fee (fees.sql)

    status := 201;
    body := json_build_object(
        'id', p_transaction_id, 'status', 'succeeded', 'amount', p_amount, 'currency', p_currency,
        'merchant', json_build_object('id', shop.id, 'name', shop.name, 'city', shop.city),
        'reference', NULLIF(p_reference, ''), 'qr_code_id', NULL, 'wallet_id', wallet.id, 'fee', fee,
        'created_at', p_now_iso,
        'offline', json_build_object('terminal_id', p_terminal_id, 'sequence', p_seq, 'sold_at', p_sold_iso,
                                     'confirmation_code', p_confirmation,
                                     'confirmation_payload', p_confirmation_payload))::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, offline_pay.body);
    END IF;
END;
$$;

-- charge_confirm: the customer approves a terminal's large charge (one that pos_charge left
-- 'requires_confirmation'), in one call (app.checkout.confirmations.services.confirm_payment).
-- The PIN is checked by the caller before this call (argon2 and the failure counters live in
-- Python and the store); the user's token by the caller's authentication. In one round trip, one
-- transaction (autocommit):
--   1. the Idempotency-Key (idempotency_claim): a retry, even one sent at the same moment (it
--      waits on the key's unique index), gets the first answer and never pays twice;
--   2. the charge, FOR UPDATE, as the customer's (someone else's is a 404: charge_not_found). A
--      decline, a reversal and the terminal's own follow-up lock or read this row, so they queue
--      here and whichever comes second sees what the first did. Re-checked under the lock: not
--      expired (confirmation_expired; expiry is read, not written, as effective_status does),
--      still waiting (charge_not_pending, with its status), the wallet not frozen (wallet_frozen);
--   3. KEY SHARE on the terminal row: a batch close locks it FOR UPDATE, so a payment booked now
--      cannot fall between two batches (app.pos.batches.services.hold_batch_open);
--   4. payment.succeeded and its deliveries (webhook_emit; before the transfer, as every payment
--      writes it: a refusal below raises and takes the event back with it), the transaction, and
--      ledger_post: both accounts locked in key order, the balance rules, the tier limits
--      (checked by ledger_move), the merchant's credit bucket. Its refusals (insufficient_funds,
--      limit_exceeded, ...) are raised with their own code;
--   5. the charge 'succeeded', pointing at the transaction, and the answer stored under the key.
-- Locks, in this order, all held to the commit: the key's row, the charge, KEY SHARE on the
-- terminal, the two accounts: the order pos_charge, pos_refund and pos_reverse take, so a
-- confirmation cannot deadlock with a refund, a reversal or a batch close.
-- Refusals are raised (MESSAGE 'refused', HINT the key of confirmations.services.REFUSALS) so
-- nothing of the call is kept; the caller stores the refusal under the key. Only a conflicting
-- key is returned as `refusal` (nothing was claimed).
CREATE OR REPLACE FUNCTION charge_confirm(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_user_id text, p_charge_id text, p_now timestamptz,
    p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    charge pos_charges%ROWTYPE;
    till text;
    wallet_status text;
    posted record;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO claim FROM idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; RETURN;  -- the first answer, replayed
        END IF;
    END IF;

    SELECT * INTO charge FROM pos_charges
     WHERE id = p_charge_id AND kind = 'charge' AND user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'charge_not_found';
    END IF;
    IF charge.status = 'requires_confirmation' AND charge.expires_at <= p_now THEN
        RAISE EXCEPTION 'refused' USING HINT = 'confirmation_expired';
    ELSIF charge.status <> 'requires_confirmation' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'charge_not_pending',
            DETAIL = json_build_object('status', charge.status)::text;
    END IF;
    SELECT a.status INTO wallet_status FROM accounts AS a WHERE a.id = charge.wallet_id;
    IF wallet_status IS DISTINCT FROM 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wallet_frozen';
    END IF;

    PERFORM 1 FROM terminals WHERE id = charge.terminal_id FOR KEY SHARE;
    SELECT id INTO till FROM accounts
     WHERE merchant_id = charge.merchant_id AND currency = charge.currency AND kind = 'merchant';
    -- The data of app.pos.charges.services.charge_event: the merchant's books, nothing of the payer.
    PERFORM webhook_emit(p_event_id, charge.merchant_id, 'payment.succeeded', json_build_object(
        'charge_id', charge.id, 'merchant_id', charge.merchant_id, 'terminal_id', charge.terminal_id,
        'amount', charge.amount, 'currency', charge.currency, 'reference', charge.reference,
        'created_at', api_time(charge.created_at), 'id', p_transaction_id,
        'transaction_id', p_transaction_id, 'fee', (SELECT fee_amount(charge.amount, m.fee_rate_bps, m.fee_min)
                                                     FROM merchants AS m WHERE m.id = charge.merchant_id))::text, p_now);
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, terminal_id, created_at)
    VALUES (p_transaction_id, 'payment', 'succeeded', charge.amount, charge.currency, charge.wallet_id, till,
            charge.user_id, charge.reference, charge.terminal_id, p_now);
    SELECT * INTO posted FROM ledger_post(p_transfer_id, p_transaction_id, 'posted', charge.wallet_id, till,
                                          charge.amount, charge.currency, NULL, NULL, NULL, p_now);
    -- The merchant's fee, from the bucket the payment credited, as pos_charge takes it (fees.sql).
    PERFORM fee_merchant_charge(p_transaction_id, charge.merchant_id, posted.credit_id, charge.amount,
                                charge.currency, charge.user_id, charge.terminal_id, p_now);
    UPDATE pos_charges SET status = 'succeeded', transaction_id = p_transaction_id,
                           captured_amount = charge.amount, updated_at = p_now
     WHERE id = charge.id RETURNING * INTO charge;

    -- The answer as app.checkout.confirmations.services.payment_out shows it to the customer.
    status := 200;
    SELECT json_build_object(
        'id', charge.id, 'status', charge.status, 'amount', charge.amount, 'currency', charge.currency,
        'reference', charge.reference, 'wallet_id', charge.wallet_id, 'merchant_name', m.name,
        'terminal_label', t.label, 'created_at', api_time(charge.created_at),
        'expires_at', api_time(charge.expires_at), 'transaction_id', charge.transaction_id)::text
      INTO body
      FROM merchants AS m, terminals AS t
     WHERE m.id = charge.merchant_id AND t.id = charge.terminal_id;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, charge_confirm.body);
    END IF;
END;
$$;

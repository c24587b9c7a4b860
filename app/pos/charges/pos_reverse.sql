-- charge_answer: a terminal charge as the API shows it (app.pos.charges.services.charge_out),
-- for the functions that store that answer under an Idempotency-Key. Expiry is read, not
-- written, as effective_status does; the payer is "Alice D." (owner_display), never the phone.
CREATE OR REPLACE FUNCTION charge_answer(charge pos_charges, p_now timestamptz) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    words text[];
    display text;
BEGIN
    SELECT regexp_split_to_array(btrim(name, E' \t\n\r\f\v'), '\s+') INTO words FROM users WHERE id = charge.user_id;
    IF words IS NOT NULL AND words[1] <> '' THEN
        display := CASE WHEN cardinality(words) = 1 THEN words[1]
                        ELSE words[1] || ' ' || left(words[cardinality(words)], 1) || '.' END;
    END IF;
    RETURN json_build_object(
        'id', charge.id,
        'status', CASE WHEN charge.status = 'requires_confirmation' AND charge.expires_at <= p_now THEN 'expired'
                       ELSE charge.status END,
        'amount', charge.amount, 'currency', charge.currency, 'reference', charge.reference,
        'wallet_owner_display', display, 'created_at', api_time(charge.created_at),
        'transaction_id', charge.transaction_id, 'expires_at', api_time(charge.expires_at),
        'refunded_amount', charge.refunded_amount, 'failure_code', charge.failure_code);
END;
$$;

-- pos_reverse: a terminal undoes a charge whose outcome it never learned, in one call
-- (app.pos.charges.refunds.reverse_charge). The terminal's signature is checked by the caller.
-- It locks as pos_refund does, in the order every charge use case takes:
--   1. the Idempotency-Key (idempotency_claim): a retry gets the first answer;
--   2. the charge, FOR UPDATE: a reversal and a refund of one charge queue here, and whichever
--      comes second sees what the first did (a refund after the reversal finds it 'reversed'; a
--      reversal after a refund gives back only what is left), so together they never return
--      more than was captured. Someone else's charge is a 404;
--   3. nothing to undo (failed, declined, expired, already reversed): the charge as it is, 200,
--      stored under the key like any answer. Past p_window: refused, as a refund is the way then;
--   4. a succeeded charge with money left: KEY SHARE on the terminal (the batch, as
--      hold_batch_open), the reversal transaction, its fee given back (fee_refund), refund.succeeded
--      flagged as a reversal with that `fee` (there is no reversal event type and the merchant's
--      books heard payment.succeeded), and
--      ledger_post (the accounts, in key order; the merchant's balance and buckets are its to
--      check). A charge still waiting for the customer moved no money and reports nothing;
--   5. the charge 'reversed' and the answer, stored under the key.
-- Refusals are raised (MESSAGE 'refused', HINT a key of refunds.REVERSAL_REFUSALS) so nothing of
-- the call is kept; the caller stores the refusal under the key. Only a conflicting key is
-- returned as `refusal` (nothing was claimed).
CREATE OR REPLACE FUNCTION pos_reverse(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_charge_id text, p_window integer,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    charge pos_charges%ROWTYPE;
    till text;
    remaining bigint;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO claim FROM idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;  -- the first answer, replayed
        END IF;
    END IF;

    SELECT * INTO charge FROM pos_charges
     WHERE id = p_charge_id AND kind = 'charge' AND terminal_id = p_terminal_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'charge_not_found';
    END IF;
    status := 200;
    IF charge.status = 'succeeded'
       OR (charge.status = 'requires_confirmation' AND charge.expires_at > p_now) THEN
        IF p_now >= charge.created_at + make_interval(secs => p_window) THEN
            RAISE EXCEPTION 'refused' USING HINT = 'reversal_window_closed',
                DETAIL = json_build_object('reversal_window', p_window)::text;
        END IF;
        remaining := charge.captured_amount - charge.refunded_amount;
        IF charge.status = 'succeeded' AND remaining > 0 THEN
            PERFORM 1 FROM terminals WHERE id = charge.terminal_id FOR KEY SHARE;
            SELECT id INTO till FROM accounts
             WHERE merchant_id = charge.merchant_id AND currency = charge.currency AND kind = 'merchant';
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      initiator_id, reference, related_id, terminal_id, created_at)
            VALUES (p_transaction_id, 'reversal', 'succeeded', remaining, charge.currency, till, charge.wallet_id,
                    charge.terminal_id, charge.reference, charge.transaction_id, charge.terminal_id, p_now);
            -- A reversal undoes the sale: the merchant's fee on it comes back whatever the setting (fees.sql).
            PERFORM fee_refund(p_transaction_id, charge.transaction_id, charge.merchant_id, till, charge.wallet_id,
                               charge.currency, charge.terminal_id, charge.terminal_id, p_now, true);
            -- The data of app.pos.charges.refunds._refund_event; a reversal leaves refunded_amount as it was.
            -- After fee_refund: `fee` is what it gave back (recorded on the reversal's row).
            PERFORM webhook_emit(p_event_id, charge.merchant_id, 'refund.succeeded', json_build_object(
                'charge_id', charge.id, 'merchant_id', charge.merchant_id, 'terminal_id', charge.terminal_id,
                'amount', remaining, 'currency', charge.currency, 'reference', charge.reference,
                'created_at', p_now_iso, 'refund_id', p_transaction_id, 'transaction_id', charge.transaction_id,
                'charged_amount', charge.captured_amount, 'refunded_total', charge.refunded_amount,
                'reversal', true, 'fee', (SELECT fee FROM transactions WHERE id = p_transaction_id))::text, p_now);
            PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', till, charge.wallet_id, remaining,
                                charge.currency, NULL, NULL, NULL, p_now);
        END IF;
        UPDATE pos_charges SET status = 'reversed', updated_at = p_now WHERE id = charge.id
        RETURNING * INTO charge;
    END IF;

    body := charge_answer(charge, p_now)::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, pos_reverse.body);
    END IF;
END;
$$;

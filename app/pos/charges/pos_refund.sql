-- pos_refund: a terminal gives back part or all of one of its charges, in one call
-- (app.pos.charges.refunds.refund_charge). The terminal's signature is checked by the caller.
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the charge, LOCKED FOR UPDATE: two refunds of one charge queue here, and the second reads
--      what the first refunded, so together they never give back more than was captured (the
--      CHECK refunds_within_capture is the backstop). Someone else's charge is a 404. Its
--      status (succeeded) and the remainder are checked under that lock;
--   3. the terminal row, FOR KEY SHARE (app.pos.batches.services.hold_batch_open): a batch close
--      waits for this refund, so it lands in exactly one batch. Share locks do not queue each other;
--   4. the refund.succeeded event and its deliveries (webhook_emit), written before the transfer
--      so that the merchant's account is not held locked while they are written (unless fee_refund,
--      just before, gave a fee back: the event says how much, `fee`, so it comes after that);
--   5. the refund transaction and its transfer, merchant account -> the customer's wallet, through
--      ledger_post: it locks the accounts in key order after the charge (the order every charge use
--      case takes), and the merchant's balance check is its, not ours: a merchant whose money sits
--      in its credit buckets has them swept into the account first. It raises insufficient_funds
--      when even they cannot pay. No cap on the wallet: this is the customer's own money coming back;
--   6. the charge's refunded total, and the answer stored under the key.
-- Refusals are keys of app.pos.charges.refunds.REFUND_REFUSALS, raised (MESSAGE 'refused', HINT
-- the key, DETAIL its details as JSON) so that the statement, claim included, is undone; the caller
-- stores the refusal under the key in a transaction of its own. Only a conflicting key is returned
-- as `refusal` (nothing was claimed).
CREATE OR REPLACE FUNCTION pos_refund(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_charge_id text, p_amount bigint,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    charge pos_charges%ROWTYPE;
    till text;
    remaining bigint;
    fee record;
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
    IF charge.status <> 'succeeded' THEN
        -- As app.pos.charges.services.effective_status shows it: expiry is read, not written.
        RAISE EXCEPTION 'refused' USING HINT = 'not_refundable', DETAIL = json_build_object('status',
            CASE WHEN charge.status = 'requires_confirmation' AND charge.expires_at <= p_now THEN 'expired'
                 ELSE charge.status END)::text;
    END IF;
    remaining := charge.captured_amount - charge.refunded_amount;
    IF p_amount > remaining THEN
        RAISE EXCEPTION 'refused' USING HINT = 'exceeds_remaining',
            DETAIL = json_build_object('remaining', remaining, 'requested', p_amount)::text;
    END IF;
    PERFORM 1 FROM terminals WHERE id = charge.terminal_id FOR KEY SHARE;
    SELECT id INTO till FROM accounts WHERE merchant_id = charge.merchant_id AND currency = charge.currency
                                        AND kind = 'merchant';
    PERFORM merchant_refund_check(charge.merchant_id, till, p_amount, p_now);  -- the day's refund total

    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, related_id, terminal_id, created_at)
    VALUES (p_transaction_id, 'refund', 'succeeded', p_amount, charge.currency, till, charge.wallet_id,
            charge.terminal_id, charge.reference, charge.transaction_id, charge.terminal_id, p_now);
    -- The merchant's fee on the charge comes back in proportion, if its setting says so (fees.sql),
    -- before the refund's transfer: the merchant gives back the whole price of what it kept the net of.
    SELECT * INTO fee FROM fee_refund(p_transaction_id, charge.transaction_id, charge.merchant_id, till,
                                      charge.wallet_id, charge.currency, charge.terminal_id, charge.terminal_id,
                                      p_now, false);
    -- The data of app.pos.charges.refunds._refund_event (charge_event with the refund's fields), and
    -- `fee`: what fee_refund just gave back (hence written after it, before the refund's transfer).
    PERFORM webhook_emit(p_event_id, charge.merchant_id, 'refund.succeeded', json_build_object(
        'charge_id', charge.id, 'merchant_id', charge.merchant_id, 'terminal_id', charge.terminal_id,
        'amount', p_amount, 'currency', charge.currency, 'reference', charge.reference, 'created_at', p_now_iso,
        'refund_id', p_transaction_id, 'transaction_id', charge.transaction_id,
        'charged_amount', charge.captured_amount, 'refunded_total', charge.refunded_amount + p_amount,
        'reversal', false, 'fee', fee.returned)::text, p_now);
    PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', till, charge.wallet_id, p_amount,
                        charge.currency, NULL, NULL, NULL, p_now);
    UPDATE pos_charges SET refunded_amount = refunded_amount + p_amount, updated_at = p_now WHERE id = charge.id;

    status := 201;
    body := json_build_object(
        'id', p_transaction_id, 'charge_id', charge.id, 'amount', p_amount, 'currency', charge.currency,
        'status', 'succeeded', 'created_at', p_now_iso, 'refunded_total', charge.refunded_amount + p_amount,
        'remaining', remaining - p_amount, 'fee_returned', fee.returned, 'returns_fee', fee.returns_fee)::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, pos_refund.body);
    END IF;
END;
$$;

-- pos_give_back: a terminal gives back money of one of its charges, in one call
-- (app.pos.charges.refunds): a refund (p_amount, p_window NULL) gives back part or all of a
-- succeeded charge at any time; a reversal (p_window, p_amount NULL) undoes a charge whose outcome
-- the terminal never learned, within p_window seconds of the charge, giving back what is left of
-- it. One function for both, so that their locks, checks and money are written once and a refund
-- and a reversal of one charge cannot drift apart. The terminal's signature is checked by the caller.
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the charge, LOCKED FOR UPDATE: refunds and a reversal of one charge queue here, and the
--      second reads what the first did (a refund after the reversal finds it 'reversed'; a reversal
--      after a refund gives back only what is left), so together they never give back more than
--      was captured (the CHECK refunds_within_capture is the backstop). Someone else's charge is a
--      404. Checked under that lock: a refund, the status (succeeded) and the remainder; a
--      reversal, the window. A reversal with nothing to undo (failed, declined, expired, already
--      reversed) answers the charge as it is, 200, stored under the key like any answer; one of a
--      charge still waiting for the customer moved no money and only marks it 'reversed';
--   3. the terminal row, FOR KEY SHARE (app.pos.batches.services.hold_batch_open): a batch close
--      waits for this call, so the money lands in exactly one batch. Share locks do not queue each other;
--   4. a refund only: the merchant's day's refund total (merchant_refund_check);
--   5. the transaction, the fee back and the transfer, merchant account -> the customer's wallet
--      (refund_post, app/wallet/sql/refund_post.sql: the accounts locked in key order after the
--      charge, the order every charge use case takes; the merchant's balance is ledger_post's to check);
--   6. the refund.succeeded event and its deliveries (webhook_emit; a reversal is flagged, there is
--      no reversal event type and the merchant's books heard payment.succeeded), with `fee`, what
--      refund_post gave back of the merchant's fee: so after it (a refund is not the busy path that
--      payments are, whose events go before their transfer to keep the merchant's lock short);
--   7. the charge's refunded total (a refund) or its status 'reversed' (a reversal), and the
--      answer stored under the key: a refund's 201, or the charge as the API shows it, 200.
-- Refusals are keys of app.pos.charges.refunds.REFUND_REFUSALS or REVERSAL_REFUSALS, raised
-- (MESSAGE 'refused', HINT the key, DETAIL its details as JSON) so that the statement, claim
-- included, is undone; the caller stores the refusal under the key in a transaction of its own.
-- Only a conflicting key is returned as `refusal` (nothing was claimed).
CREATE OR REPLACE FUNCTION pos_give_back(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_charge_id text, p_amount bigint, p_window integer,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    reversal boolean := p_window IS NOT NULL;
    claim record;
    charge pos_charges%ROWTYPE;
    undo boolean := false;  -- a reversal with something to undo
    moves boolean;  -- money goes back
    back bigint := p_amount;  -- how much: a reversal's is all that is left
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
    remaining := charge.captured_amount - charge.refunded_amount;
    IF reversal THEN
        IF charge.status = 'succeeded'
           OR (charge.status = 'requires_confirmation' AND charge.expires_at > p_now) THEN
            undo := true;
            IF p_now >= charge.created_at + make_interval(secs => p_window) THEN
                RAISE EXCEPTION 'refused' USING HINT = 'reversal_window_closed',
                    DETAIL = json_build_object('reversal_window', p_window)::text;
            END IF;
        END IF;
        moves := undo AND charge.status = 'succeeded' AND remaining > 0;
        back := remaining;
    ELSE
        IF charge.status <> 'succeeded' THEN
            -- As app.pos.charges.services.effective_status shows it: expiry is read, not written.
            RAISE EXCEPTION 'refused' USING HINT = 'not_refundable', DETAIL = json_build_object('status',
                CASE WHEN charge.status = 'requires_confirmation' AND charge.expires_at <= p_now THEN 'expired'
                     ELSE charge.status END)::text;
        END IF;
        IF p_amount > remaining THEN
            RAISE EXCEPTION 'refused' USING HINT = 'exceeds_remaining',
                DETAIL = json_build_object('remaining', remaining, 'requested', p_amount)::text;
        END IF;
        moves := true;
    END IF;

    IF moves THEN
        PERFORM 1 FROM terminals WHERE id = charge.terminal_id FOR KEY SHARE;
        SELECT id INTO till FROM accounts WHERE merchant_id = charge.merchant_id AND currency = charge.currency
                                            AND kind = 'merchant';
        -- The day's refund total; not a reversal's: it undoes a charge of the last minutes, to the same payer.
        IF NOT reversal THEN
            PERFORM merchant_refund_check(charge.merchant_id, till, back, p_now);
        END IF;
        -- A refund returns the fee if the merchant's setting says so; a reversal undoes the sale, so always.
        fee := refund_post(p_transaction_id, p_transfer_id,
            CASE WHEN reversal THEN 'reversal' ELSE 'refund' END, back, charge.currency, till, charge.wallet_id,
            charge.merchant_id, charge.terminal_id, charge.reference, charge.transaction_id, charge.terminal_id,
            reversal, p_now);
        -- The data of app.pos.charges.refunds._refund_event; a reversal leaves refunded_amount as it
        -- was. After refund_post: `fee` is what it gave back of the merchant's fee.
        PERFORM webhook_emit(p_event_id, charge.merchant_id, 'refund.succeeded', json_build_object(
            'charge_id', charge.id, 'merchant_id', charge.merchant_id, 'terminal_id', charge.terminal_id,
            'amount', back, 'currency', charge.currency, 'reference', charge.reference, 'created_at', p_now_iso,
            'refund_id', p_transaction_id, 'transaction_id', charge.transaction_id,
            'charged_amount', charge.captured_amount,
            'refunded_total', charge.refunded_amount + CASE WHEN reversal THEN 0 ELSE back END,
            'reversal', reversal, 'fee', fee.returned)::text, p_now);
    END IF;

    IF reversal THEN
        status := 200;
        IF undo THEN
            UPDATE pos_charges SET status = 'reversed', updated_at = p_now WHERE id = charge.id
            RETURNING * INTO charge;
        END IF;
        body := charge_answer(charge, p_now)::text;
    ELSE
        UPDATE pos_charges SET refunded_amount = refunded_amount + back, updated_at = p_now WHERE id = charge.id;
        status := 201;
        body := json_build_object(
            'id', p_transaction_id, 'charge_id', charge.id, 'amount', back, 'currency', charge.currency,
            'status', 'succeeded', 'created_at', p_now_iso, 'refunded_total', charge.refunded_amount + back,
            'remaining', remaining - back, 'fee_returned', fee.returned, 'returns_fee', fee.returns_fee)::text;
    END IF;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, pos_give_back.body);
    END IF;
END;
$$;

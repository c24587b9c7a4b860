-- order_refund: a merchant's server gives back part or all of a paid order, in one call
-- (app.checkout.orders.services.refund_order). The API key is checked by the caller.
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the order, LOCKED FOR UPDATE: two refunds of one order queue here and the second reads
--      what the first refunded (the CHECK refunds_within_amount is the backstop). Another
--      merchant's order is a 404. Its status and the remainder are checked under that lock;
--   3. the payment it was paid with (its wallet and the merchant account it credited);
--   4. the refund.succeeded event and its deliveries (webhook_emit), before the transfer so that
--      the merchant's account is not held locked while they are written (unless fee_refund, just
--      before, gave a fee back: the event says how much, `fee`, so it comes after that);
--   5. the refund transaction and its transfer, merchant account -> the customer's wallet, through
--      ledger_post, which locks the accounts in key order after the order (the order every order
--      use case takes: code, order, accounts) and checks the merchant's balance itself, its credit
--      buckets swept in first when the account alone cannot pay (insufficient_funds if even they
--      cannot). No cap on the wallet: the customer's own money coming back;
--   6. the order's refunded amount and status, and the answer stored under the key.
-- Refusals are keys of app.checkout.orders.services.REFUND_REFUSALS, raised (MESSAGE 'refused',
-- HINT the key, DETAIL its details as JSON) so the statement, claim included, is undone; the
-- caller stores the refusal under the key in a transaction of its own. Only a conflicting key is
-- returned as `refusal` (nothing was claimed).
CREATE OR REPLACE FUNCTION order_refund(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_merchant_id text, p_order_id text, p_amount bigint, p_initiator_id text,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    o orders%ROWTYPE;
    payment transactions%ROWTYPE;
    refunded bigint;
    out_status text;
    answer jsonb;
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

    SELECT * INTO o FROM orders WHERE id = p_order_id AND merchant_id = p_merchant_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'order_not_found';
    END IF;
    IF o.status NOT IN ('paid', 'partially_refunded') THEN
        -- As app.checkout.orders.services.effective_status shows it: expiry is read, not written.
        RAISE EXCEPTION 'refused' USING HINT = 'not_refundable', DETAIL = json_build_object('status',
            CASE WHEN o.status = 'pending' AND o.expires_at <= p_now THEN 'expired' ELSE o.status END)::text;
    END IF;
    IF p_amount > o.amount - o.refunded_amount THEN
        RAISE EXCEPTION 'refused' USING HINT = 'exceeds_remaining',
            DETAIL = json_build_object('remaining', o.amount - o.refunded_amount, 'requested', p_amount)::text;
    END IF;
    SELECT * INTO payment FROM transactions WHERE id = o.transaction_id;
    PERFORM merchant_refund_check(o.merchant_id, payment.credit_account_id, p_amount, p_now);  -- the day's refund total
    refunded := o.refunded_amount + p_amount;
    out_status := CASE WHEN refunded = o.amount THEN 'refunded' ELSE 'partially_refunded' END;

    answer := jsonb_build_object(
        'id', p_transaction_id, 'order_id', o.id, 'payment_id', payment.id, 'amount', p_amount,
        'currency', o.currency, 'status', 'succeeded', 'order_status', out_status,
        'refunded_amount', refunded, 'remaining', o.amount - refunded, 'created_at', p_now_iso);
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, related_id, created_at)
    VALUES (p_transaction_id, 'refund', 'succeeded', p_amount, o.currency, payment.credit_account_id,
            payment.debit_account_id, p_initiator_id, o.reference, payment.id, p_now);
    -- The merchant's fee on the payment comes back in proportion, if its setting says so (fees.sql),
    -- before the refund's transfer: the merchant gives back the whole price of what it kept the net of.
    SELECT * INTO fee FROM fee_refund(p_transaction_id, payment.id, o.merchant_id, payment.credit_account_id,
                                      payment.debit_account_id, o.currency, p_initiator_id, NULL, p_now, false);
    -- The event says the fee fee_refund just gave back (`fee`), so it is written after it.
    PERFORM webhook_emit(p_event_id, o.merchant_id, 'refund.succeeded',
                         (answer || jsonb_build_object('reference', o.reference, 'fee', fee.returned))::text, p_now);
    PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', payment.credit_account_id,
                        payment.debit_account_id, p_amount, o.currency, NULL, NULL, NULL, p_now);
    answer := answer || jsonb_build_object('fee_returned', fee.returned, 'returns_fee', fee.returns_fee);
    UPDATE orders SET refunded_amount = refunded, status = out_status, updated_at = p_now WHERE id = o.id;

    status := 201;
    body := answer::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, order_refund.body);
    END IF;
END;
$$;

-- order_refund: a merchant's server gives back part or all of a paid order, in one call
-- (app.checkout.orders.services.refund_order). The API key is checked by the caller.
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the order, LOCKED FOR UPDATE: two refunds of one order queue here and the second reads
--      what the first refunded (the CHECK refunds_within_amount is the backstop). Another
--      merchant's order is a 404. Its status and the remainder are checked under that lock;
--   3. the payment it was paid with (its wallet and the merchant account it credited);
--   4. the refund transaction, the fee back and the transfer, merchant account -> the customer's
--      wallet, with refund_post (app/wallet/sql/refund_post.sql, shared with a terminal's refund):
--      ledger_post locks the accounts in key order after the order (the order every order use case
--      takes: code, order, accounts) and checks the merchant's balance itself, its credit buckets
--      swept in first when the account alone cannot pay (insufficient_funds if even they cannot);
--   5. the refund.succeeded event and its deliveries (webhook_emit), with `fee`, what refund_post
--      gave back of the merchant's fee: so after it (a refund is not the busy path that payments
--      are, whose events go before their transfer to keep the merchant's lock short);
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
    -- The transaction, the merchant's fee back if its setting says so, and the transfer (refund_post).
    fee := refund_post(p_transaction_id, p_transfer_id, 'refund', p_amount, o.currency, payment.credit_account_id,
                       payment.debit_account_id, o.merchant_id, p_initiator_id, o.reference, payment.id, NULL,
                       false, p_now);
    -- After refund_post: the event says the fee it gave back (`fee`).
    PERFORM webhook_emit(p_event_id, o.merchant_id, 'refund.succeeded',
                         (answer || jsonb_build_object('reference', o.reference, 'fee', fee.returned))::text, p_now);
    answer := answer || jsonb_build_object('fee_returned', fee.returned, 'returns_fee', fee.returns_fee);
    UPDATE orders SET refunded_amount = refunded, status = out_status, updated_at = p_now WHERE id = o.id;

    status := 201;
    body := answer::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, order_refund.body);
    END IF;
END;
$$;

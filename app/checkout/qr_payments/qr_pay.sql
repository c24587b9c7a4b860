-- qr_pay: the app pays one of our merchant-presented codes, in one call
-- (app.checkout.qr_payments.services.pay): a merchant's static or dynamic code, a terminal's
-- payment request (automatic capture: a payment; manual capture: a hold the terminal captures or
-- voids later, app/pos/sql/terminal_holds.sql) and an online order's code (it marks the order paid).
--
-- In one round trip, inside the caller's transaction (autocommit: the statement is the transaction):
--   0. the payer: an active, verified user; the code: ours, unaltered, and the amount rule
--      (these refusals answer the request itself and are not stored under the key, as before);
--   1. the Idempotency-Key, with idempotency_claim (a retry gets the first answer);
--   2. the payer's wallet (a 404 if it is not theirs); the code, LOCKED FOR UPDATE when it is
--      dynamic (paid once: a second payer queues here and then sees it paid), not locked when it
--      is static (everyone at that counter pays it; a lock would queue them all for nothing);
--      its status and expiry, the currency, a frozen wallet, the merchant and its account;
--      for a terminal's code, the terminal row FOR KEY SHARE after the code
--      (app.pos.batches.services.hold_batch_open): a batch close waits for this payment, so it
--      lands in exactly one batch; share locks do not queue the terminal's payments behind each other;
--   3. the payment.succeeded event and one delivery per subscribed endpoint (the outbox), the
--      transaction row, the transfer through ledger_post (which locks both accounts in key order
--      after the code, as every use case does, and raises insufficient_funds), the code marked
--      paid, and the answer stored under the key. A manual-capture request takes a hold instead (a
--      pending transfer expiring at p_hold_expires_at, transaction 'hold' 'authorized') and sends
--      no event: a hold is not a payment until the terminal captures it. An order's code locks the
--      order FOR UPDATE after the code (the order every order use case takes: code, order,
--      accounts), refuses one that is no longer pending (the backstop should the two rows
--      disagree), pays under the order's full reference (the code holds at most 25 characters of
--      it), and after the transfer marks the order paid and writes order.paid (p_order_event_id).
-- Refusals are keys of services.PAYMENT_REFUSALS. Those of step 0 (and a conflicting key) come back as `refusal`, nothing written; those after the claim are raised
-- (MESSAGE 'refused', HINT the key, DETAIL its details as JSON), so the statement, claim included,
-- is undone and the caller stores the refusal under the key in a transaction of its own.
-- OUT terminal_id: the terminal that presented the code, if any: after the commit the caller
-- wakes the terminal's long poll on the request (Python publishes; SQL cannot reach Redis).
CREATE OR REPLACE FUNCTION qr_pay(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_user_id text, p_wallet_id text, p_qr_id text, p_merchant_id text, p_payload text, p_amount bigint,
    p_now timestamptz, p_now_iso text, p_transaction_id text, p_transfer_id text, p_event_id text,
    p_hold_expires_at timestamptz, p_order_link text, p_order_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json, OUT terminal_id text,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    wallet accounts%ROWTYPE;
    code qr_codes%ROWTYPE;
    shop merchants%ROWTYPE;
    till accounts%ROWTYPE;
    o orders%ROWTYPE;
    to_pay bigint;
    reference text;
    held boolean;
    posted record;
    fee bigint := 0;
BEGIN
    refusal := payer_refusal(p_user_id);
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT * INTO code FROM qr_codes WHERE id = p_qr_id;
    IF code.id IS NULL OR code.merchant_id <> p_merchant_id OR code.payload <> p_payload THEN
        refusal := 'not_ours'; RETURN;
    END IF;
    IF code.kind = 'dynamic' AND p_amount IS NOT NULL THEN
        refusal := 'amount_not_allowed'; RETURN;
    ELSIF code.kind = 'static' AND p_amount IS NULL THEN
        refusal := 'amount_required'; RETURN;
    END IF;
    terminal_id := code.terminal_id;  -- a replayed answer wakes the terminal too, as before

    IF p_key IS NOT NULL THEN
        claim := idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
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
    IF code.kind = 'dynamic' THEN
        SELECT * INTO code FROM qr_codes WHERE id = p_qr_id FOR UPDATE;  -- re-read under the lock
    END IF;
    to_pay := CASE WHEN code.kind = 'dynamic' THEN code.amount ELSE p_amount END;
    IF code.status = 'paid' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'already_paid';
    ELSIF code.status = 'canceled' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'canceled';
    ELSIF code.expires_at IS NOT NULL AND code.expires_at <= p_now THEN
        RAISE EXCEPTION 'refused' USING HINT = 'expired';
    END IF;
    IF wallet.currency <> code.currency THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wrong_currency', DETAIL = json_build_object('code_currency', code.currency)::text;
    END IF;
    IF wallet.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'wallet_frozen';
    END IF;
    SELECT * INTO shop FROM merchants WHERE id = code.merchant_id;
    SELECT * INTO till FROM accounts WHERE merchant_id = code.merchant_id AND currency = code.currency
                                        AND kind = 'merchant';
    IF shop.status <> 'active' OR till.id IS NULL OR till.status <> 'active' THEN
        RAISE EXCEPTION 'refused' USING HINT = 'merchant_closed';
    END IF;
    IF to_pay > shop.max_charge THEN  -- the merchant's own limit (merchant_limits.sql)
        RAISE EXCEPTION 'limit_exceeded' USING DETAIL = merchant_max_charge(shop.id, to_pay)::text;
    END IF;
    IF code.kind = 'dynamic' THEN
        SELECT * INTO o FROM orders WHERE qr_code_id = code.id FOR UPDATE;
        IF o.id IS NOT NULL AND (o.status <> 'pending' OR o.expires_at <= p_now) THEN
            -- As app.checkout.orders.services.effective_status shows it: expiry is read, not written.
            RAISE EXCEPTION 'refused' USING HINT = 'order_not_pending', DETAIL = json_build_object('status',
                CASE WHEN o.status = 'pending' THEN 'expired' ELSE o.status END)::text;
        END IF;
    END IF;
    reference := coalesce(o.reference, code.reference);
    held := code.capture = 'manual';
    IF code.terminal_id IS NOT NULL THEN
        PERFORM 1 FROM terminals WHERE id = code.terminal_id FOR KEY SHARE;
    END IF;

    -- The event before the transfer, as every payment writes it: should ledger_post refuse, the
    -- event goes with the rest of the statement. Its fee by the rule fee_merchant_charge applies below.
    IF NOT held THEN
        PERFORM webhook_emit(p_event_id, shop.id, 'payment.succeeded', json_build_object(
            'id', p_transaction_id, 'transaction_id', p_transaction_id, 'amount', to_pay, 'currency', code.currency,
            'reference', reference, 'qr_code_id', code.id, 'terminal_id', code.terminal_id, 'order_id', o.id,
            'created_at', p_now_iso, 'fee', fee_amount(to_pay, shop.fee_rate_bps, shop.fee_min))::text, p_now);
    END IF;
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, terminal_id, created_at)
    VALUES (p_transaction_id, CASE WHEN held THEN 'hold' ELSE 'payment' END,
            CASE WHEN held THEN 'authorized' ELSE 'succeeded' END, to_pay, code.currency, wallet.id, till.id,
            p_user_id, reference, code.terminal_id, p_now);
    posted := ledger_post(p_transfer_id, p_transaction_id,
                        CASE WHEN held THEN 'pending' ELSE 'posted' END,
                        wallet.id, till.id, to_pay, code.currency, NULL,
                        CASE WHEN held THEN p_hold_expires_at END, NULL, p_now);
    IF NOT held THEN  -- the merchant's fee, from the account the payment credited (fees.sql); a hold's at capture
        fee := fee_merchant_charge(p_transaction_id, shop.id, posted.credit_id, to_pay, code.currency, p_user_id,
                                   code.terminal_id, p_now);
    END IF;
    IF code.kind = 'dynamic' THEN
        UPDATE qr_codes SET status = 'paid', paid_transaction_id = p_transaction_id WHERE id = code.id;
    END IF;
    IF o.id IS NOT NULL THEN
        UPDATE orders SET status = 'paid', transaction_id = p_transaction_id, updated_at = p_now WHERE id = o.id
        RETURNING * INTO o;
        PERFORM webhook_emit(p_order_event_id, o.merchant_id, 'order.paid', order_answer(o, code.payload,
                             p_order_link, p_now)::text, p_now);
    END IF;

    status := 201;
    body := json_build_object(
        'id', p_transaction_id, 'status', CASE WHEN held THEN 'authorized' ELSE 'succeeded' END, 'amount', to_pay,
        'currency', code.currency, 'merchant', json_build_object('id', shop.id, 'name', shop.name, 'city', shop.city),
        'reference', reference, 'qr_code_id', code.id, 'wallet_id', wallet.id, 'fee', fee,
        'created_at', p_now_iso)::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, qr_pay.body);
    END IF;
END;
$$;

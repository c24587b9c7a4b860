-- A terminal's holds in one call each: a vending machine's capture and void
-- (app.pos.vending.services), a manual-capture payment request's capture and void
-- (app.pos.payment_requests.services), and the sweeper's release of an expired hold
-- (app.pos.hold_expiry, `flask ledger expire-holds`), which tells the merchant.
--
-- Each, in one round trip on an autocommit connection (the statement is the transaction):
--   1. claims the Idempotency-Key with idempotency_claim (a retry gets the first answer);
--   2. locks the terminal's own row for the hold FOR UPDATE (the authorization or the payment
--      request): two captures, a capture and a void, or either and the sweeper, queue here, and
--      the second then finds the hold resolved and gets its own refusal or answer;
--   3. a vending capture takes KEY SHARE on the terminal row (app.pos.batches: a batch close
--      takes it FOR UPDATE, so a capture lands in exactly one batch);
--   4. settles the hold with hold_settle (app/wallet/sql/holds.sql), which locks both accounts in
--      key order and posts through ledger_post: row, terminal, accounts is the order every use
--      case of a hold takes, so none deadlocks with another;
--   5. updates the row, writes the webhook event (authorization.captured, .voided, .expired) and
--      its deliveries with webhook_emit (app/merchant/sql/webhook_emit.sql), and stores the answer under the key.
-- Refusals (keys of app.pos.vending.services.HOLD_REFUSALS) are raised as MESSAGE 'refused', HINT
-- the key, DETAIL its details as JSON, so the whole statement, claim included, is undone; the
-- caller stores the refusal under the key in a transaction of its own, as for every payment.

-- The webhook data of a vending authorization, as app.pos.vending.services._event wrote it.
CREATE OR REPLACE FUNCTION authorization_event(p_charge pos_charges) RETURNS jsonb LANGUAGE sql STABLE AS $$  -- STABLE: inlined (api_time says why)
    SELECT jsonb_build_object('authorization_id', p_charge.id, 'merchant_id', p_charge.merchant_id,
                              'terminal_id', p_charge.terminal_id, 'transaction_id', p_charge.transaction_id,
                              'currency', p_charge.currency, 'reference', p_charge.reference,
                              'created_at', api_time(p_charge.created_at));
$$;

-- The answer of app.pos.vending.services.authorization_out, for a charge whose hold is `p_status`.
CREATE OR REPLACE FUNCTION authorization_answer(p_charge pos_charges, p_status text) RETURNS text
LANGUAGE sql STABLE AS $$  -- STABLE: inlined (api_time says why)
    SELECT json_build_object('id', p_charge.id, 'status', p_status, 'amount', p_charge.amount,
                             'currency', p_charge.currency, 'captured_amount', p_charge.captured_amount,
                             'expires_at', api_time(p_charge.expires_at), 'reference', p_charge.reference,
                             'failure_code', p_charge.failure_code, 'created_at', api_time(p_charge.created_at))::text;
$$;

-- A vending machine captures p_amount of its authorization (the rest released) or voids it
-- (p_action 'capture' or 'void'). A repeated void answers the authorization as it stands
-- (voided, or expired if the sweeper came first) and tells nobody again.
CREATE OR REPLACE FUNCTION authorization_settle(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_authorization_id text, p_action text, p_amount bigint,
    p_now timestamptz, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    charge pos_charges%ROWTYPE;
    settled record;
    shown text;
    stamped timestamptz := p_now;
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
     WHERE id = p_authorization_id AND terminal_id = p_terminal_id AND kind = 'authorization' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'authorization_not_found';
    END IF;
    IF p_action = 'capture' THEN
        PERFORM 1 FROM terminals WHERE id = p_terminal_id FOR KEY SHARE;  -- the open batch (app.pos.batches)
        -- Stamped after that lock, as the Python path stamped it: a batch close that held the row
        -- stamped its end before it let go, and a capture stamped with the p_now it was sent with
        -- would fall before that end and so in no batch. The time waited, added in the caller's
        -- clock (tests move it).
        stamped := p_now + (clock_timestamp() - statement_timestamp());
    END IF;
    IF charge.transaction_id IS NULL THEN
        RAISE EXCEPTION 'refused' USING HINT = 'nothing_held',
            DETAIL = json_build_object('failure_code', charge.failure_code)::text;
    END IF;

    SELECT * INTO settled FROM hold_settle(charge.transaction_id,
        CASE WHEN p_action = 'capture' THEN 'post_pending' ELSE 'void_pending' END, p_amount, false, stamped,
        p_transfer_id);
    -- vending.services._status: the hold's transaction is the truth
    shown := CASE WHEN settled.status IN ('captured', 'voided') THEN settled.status ELSE 'expired' END;
    IF p_action = 'capture' THEN
        UPDATE pos_charges SET status = 'captured', captured_amount = settled.amount, updated_at = stamped
         WHERE id = charge.id RETURNING * INTO charge;
        PERFORM webhook_emit(p_event_id, charge.merchant_id, 'authorization.captured', (authorization_event(charge)
            || jsonb_build_object('amount', settled.amount, 'authorized_amount', charge.amount,
                                  'fee', (SELECT fee FROM transactions WHERE id = charge.transaction_id)))::text, stamped);
    ELSE
        UPDATE pos_charges SET status = shown, updated_at = stamped WHERE id = charge.id RETURNING * INTO charge;
        IF settled.changed THEN  -- not on a repeated void: nothing changed
            PERFORM webhook_emit(p_event_id, charge.merchant_id, 'authorization.voided', (authorization_event(charge)
                || jsonb_build_object('amount', charge.amount))::text, stamped);
        END IF;
    END IF;

    status := 200;
    body := authorization_answer(charge, shown);
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, authorization_settle.body);
    END IF;
END;
$$;

-- The webhook data of a manual-capture payment request's hold, as
-- app.pos.payment_requests.services._event wrote it: `amount` is what was captured, or the
-- whole hold when it was released.
CREATE OR REPLACE FUNCTION request_hold_event(p_code qr_codes, p_hold transactions, p_amount bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$  -- STABLE: inlined (api_time says why)
    SELECT jsonb_build_object('payment_request_id', p_code.id, 'merchant_id', p_code.merchant_id,
                              'terminal_id', p_code.terminal_id, 'transaction_id', p_hold.id,
                              'currency', p_hold.currency, 'reference', p_code.reference,
                              'created_at', api_time(p_code.created_at), 'amount', p_amount,
                              'authorized_amount', p_hold.amount);
$$;

-- A terminal captures p_amount (NULL: all) of a paid manual-capture payment request's hold, or
-- voids it. Only the call that changed the hold tells the merchant.
CREATE OR REPLACE FUNCTION request_hold_settle(
    p_scope text, p_key text, p_fingerprint text, p_ttl interval,
    p_terminal_id text, p_request_id text, p_action text, p_amount bigint,
    p_now timestamptz, p_transfer_id text, p_event_id text,
    OUT status integer, OUT body text, OUT refusal text, OUT details json,
    OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    claim record;
    code qr_codes%ROWTYPE;
    hold transactions%ROWTYPE;
    settled record;
    shown text;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO claim FROM idempotency_claim(p_scope, p_key, p_fingerprint, p_ttl, p_now);
        IF claim.conflict THEN
            refusal := 'idempotency_conflict'; RETURN;
        ELSIF claim.claimed IS NULL THEN
            status := claim.status; body := claim.body; replayed := true; RETURN;
        END IF;
    END IF;

    -- The row a payment of the code locks first too: capture, void, payment and sweeper queue here.
    SELECT * INTO code FROM qr_codes WHERE id = p_request_id AND terminal_id = p_terminal_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'refused' USING HINT = 'request_not_found';
    END IF;
    IF code.capture <> 'manual' OR code.status <> 'paid' THEN
        -- payment_requests.services._status of a request that is not an authorized manual capture
        shown := CASE WHEN code.status = 'paid' THEN 'succeeded'
                      WHEN code.status = 'active' AND code.expires_at IS NOT NULL AND code.expires_at <= p_now THEN 'expired'
                      WHEN code.status = 'active' THEN 'pending' ELSE code.status END;
        RAISE EXCEPTION 'refused' USING HINT = 'request_not_pending', DETAIL = json_build_object('status', shown)::text;
    END IF;

    SELECT * INTO settled FROM hold_settle(code.paid_transaction_id,
        CASE WHEN p_action = 'capture' THEN 'post_pending' ELSE 'void_pending' END, p_amount, false, p_now,
        p_transfer_id);
    SELECT * INTO hold FROM transactions WHERE id = code.paid_transaction_id;
    IF settled.changed THEN
        PERFORM webhook_emit(p_event_id, code.merchant_id, 'authorization.' || settled.status,
            (request_hold_event(code, hold, CASE WHEN settled.status = 'captured' THEN settled.amount ELSE hold.amount END)
             || CASE WHEN settled.status = 'captured' THEN jsonb_build_object('fee', hold.fee) ELSE '{}' END)::text,
            p_now);
    END IF;

    status := 200;
    body := json_build_object('id', code.id, 'status', settled.status, 'amount', code.amount,
        'currency', code.currency, 'reference', code.reference, 'payload', code.payload, 'capture', code.capture,
        'expires_at', api_time(code.expires_at), 'transaction_id', code.paid_transaction_id,
        'qr_image_url', '/api/v1/qr-codes/' || code.id || '.png', 'created_at', api_time(code.created_at))::text;
    IF p_key IS NOT NULL THEN
        PERFORM idempotency_answer(claim.claimed, status, request_hold_settle.body);
    END IF;
END;
$$;

-- The sweeper releases one hold past its expiry (app.pos.hold_expiry.expire_due reads which are
-- due, then calls this once per hold). A terminal's hold tells its merchant authorization.expired
-- in the same statement, so the event exists exactly when the release committed, once per hold
-- (the resolution is UNIQUE). The terminal's row is locked first, as a capture locks it, so the
-- sweeper and a capture queue there instead of deadlocking. Answers whether it released the hold
-- (false: captured, voided or released meanwhile).
CREATE OR REPLACE FUNCTION hold_expire(p_txn_id text, p_now timestamptz, p_transfer_id text, p_event_id text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    hold transactions%ROWTYPE;
    charge pos_charges%ROWTYPE;
    code qr_codes%ROWTYPE;
    settled record;
BEGIN
    SELECT * INTO hold FROM transactions WHERE id = p_txn_id;
    IF hold.terminal_id IS NOT NULL THEN  -- terminal_id narrows the look-up to that terminal's (indexed) rows
        SELECT * INTO charge FROM pos_charges
         WHERE terminal_id = hold.terminal_id AND transaction_id = hold.id AND kind = 'authorization' FOR UPDATE;
        IF charge.id IS NULL THEN
            SELECT * INTO code FROM qr_codes
             WHERE terminal_id = hold.terminal_id AND paid_transaction_id = hold.id AND capture = 'manual' FOR UPDATE;
        END IF;
    END IF;
    SELECT * INTO settled FROM hold_settle(p_txn_id, 'void_pending', NULL, true, p_now, p_transfer_id);
    IF NOT settled.changed THEN
        RETURN false;
    END IF;
    IF charge.id IS NOT NULL THEN
        UPDATE pos_charges SET status = 'expired', updated_at = p_now WHERE id = charge.id;
        PERFORM webhook_emit(p_event_id, charge.merchant_id, 'authorization.expired', (authorization_event(charge)
            || jsonb_build_object('amount', charge.amount, 'authorized_amount', charge.amount))::text, p_now);
    ELSIF code.id IS NOT NULL THEN
        PERFORM webhook_emit(p_event_id, code.merchant_id, 'authorization.expired',
                             request_hold_event(code, hold, hold.amount)::text, p_now);
    END IF;
    RETURN true;
END;
$$;

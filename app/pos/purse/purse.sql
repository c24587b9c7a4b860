-- purse_capture: one payment token of an offline purse, captured in one call, inside the
-- caller's transaction (app.pos.purse.uploads; Python has checked the certificate's issuer
-- signature, the token's device signature and the certificate's limits: it holds the keys).
--
-- The escrow: a purse's hold is placed on one of ESCROW_BUCKETS escrow system accounts
-- ('offline_purse.0' ...; app.pos.purse.services.escrow_code, chosen by the purse id), and its
-- captures and new holds use the account the purse's hold is on (pending.credit_account_id), so
-- captures of purses in different buckets lock different rows and do not wait on each other; a
-- purse issued before migration 0029 keeps its holds on the one 'offline_purse' account.
--
-- Lock order: the purse row, then (for an excess) the wallet and the merchant's account in key
-- order, then the wallet and its escrow (hold_settle, key order), then the merchant's credit
-- bucket, the receivable, the wallet's debt row. The excess locks the merchant's account before
-- any of its credit buckets, as a refund does; without that, two excess captures for one shop,
-- each holding one bucket and wanting the account and then the other's bucket, would deadlock.
-- The caller runs each capture in a transaction of its own (app.pos.purse.uploads), so no
-- transaction holds two captures' locks at once.
--
-- The merchant is paid for every valid token, always. In this order:
--   1. the purse row, FOR UPDATE: every capture of one purse queues here, so two terminals
--      uploading at once see each other's tokens (and the same token is captured once: it is
--      found by (purse, counter, token_hash), also UNIQUE behind this check);
--   2. a token signed at or after the purse was closed is refused ('revoked': closing stops new
--      payments; terminals learn it from /pos/config), nothing changed;
--   3. the part still held (the purse's current hold, unresolved and not past its expiry):
--      hold_settle captures it into the purse's escrow account and releases the rest, a new hold
--      is placed for what is left (a hold resolves once), and escrow pays the merchant;
--   4. the excess (above what is held: an overspend, or a late token after the hold returned):
--      from the wallet's available money as far as it goes, and the rest from the
--      offline_receivable system account: the wallet's debt, recorded on the purse. The wallet's
--      no-overdraft rule is never bent; the receivable's negative balance is what users owe,
--      recorded as the wallet's debt (debt_record, app/wallet/sql/debts.sql) and collected by
--      ledger_post from the next money that comes into the wallet;
--   5. a reused counter with other content, or a total above the allowance, freezes the purse
--      and the wallet's offline use (offline_freezes);
--      A freeze of the wallet does not stop any of this (the sale was accepted offline, before
--      the server could say no); a frozen wallet's new purses are refused by the hold they need;
--   6. the merchant's payment.succeeded (offline: true, the phone's time of sale beside the time
--      of posting), through the outbox, as every offline sale.
-- OUT outcome: posted | duplicate | revoked | unknown_purse | foreign_currency.
CREATE OR REPLACE FUNCTION purse_capture(
    p_purse_id text, p_counter bigint, p_token_hash text, p_terminal_id text, p_merchant_id text,
    p_amount bigint, p_currency text, p_sold_at timestamptz, p_receivable_id text,
    p_now timestamptz, p_token_id text, p_txn_id text, p_hold_txn_id text, p_ids text[], p_event_id text,
    OUT outcome text, OUT transaction_id text, OUT overspend boolean)
LANGUAGE plpgsql AS $$
DECLARE
    purse offline_purses%ROWTYPE;
    earlier purse_tokens%ROWTYPE;
    pending transfers%ROWTYPE;
    wallet accounts%ROWTYPE;
    till accounts%ROWTYPE;
    held bigint := 0;
    captured_by text;
    take bigint;
    from_wallet bigint := 0;
    owed bigint := 0;
    reason text;
    from_hold_to text;  -- the merchant accounts (credit buckets) each line below credited
    from_wallet_to text;
    owed_to text;
BEGIN
    overspend := false;
    SELECT * INTO purse FROM offline_purses WHERE id = p_purse_id FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'unknown_purse'; RETURN;
    END IF;
    SELECT * INTO earlier FROM purse_tokens t
     WHERE t.purse_id = p_purse_id AND t.counter = p_counter AND t.token_hash = p_token_hash;
    IF FOUND THEN
        outcome := 'duplicate'; transaction_id := earlier.transaction_id; overspend := earlier.overspend; RETURN;
    END IF;
    IF purse.closed_at IS NOT NULL AND p_sold_at >= purse.closed_at THEN
        outcome := 'revoked'; RETURN;
    END IF;
    SELECT * INTO till FROM accounts WHERE merchant_id = p_merchant_id AND currency = p_currency AND kind = 'merchant';
    IF till.id IS NULL OR purse.currency <> p_currency THEN
        outcome := 'foreign_currency'; RETURN;
    END IF;

    SELECT p.* INTO pending FROM transfers p
     WHERE p.transaction_id = purse.hold_txn_id AND p.kind = 'pending' AND p.expires_at > p_now
       AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = p.id);
    held := coalesce(pending.amount, 0);
    take := least(p_amount, held);
    IF p_amount > take THEN  -- the excess: the merchant's account before any of its buckets (above)
        PERFORM 1 FROM accounts WHERE id IN (purse.wallet_id, till.id) ORDER BY id FOR NO KEY UPDATE;
    END IF;
    IF EXISTS (SELECT 1 FROM purse_tokens t WHERE t.purse_id = p_purse_id AND t.counter = p_counter) THEN
        reason := 'counter_reused';
    ELSIF purse.spent + p_amount > purse.allowance THEN
        reason := 'above_allowance';
    END IF;
    overspend := reason IS NOT NULL;

    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, terminal_id, created_at)
    VALUES (p_txn_id, 'payment', 'succeeded', p_amount, p_currency, purse.wallet_id, till.id, purse.user_id,
            'purse ' || p_purse_id || ' #' || p_counter, p_terminal_id, p_now);
    -- A sale the terminal accepted offline is never declined: a freeze set since (a lost phone)
    -- does not stop its capture (wallet.freeze_exempt: app/wallet/sql/freezes.sql), to the end
    -- of this capture's postings.
    PERFORM set_config('wallet.freeze_exempt', 'on', true);
    IF take > 0 THEN
        captured_by := p_ids[1];
        PERFORM hold_settle(purse.hold_txn_id, 'post_pending', take, false, p_now, p_ids[1]);
        IF held - take > 0 THEN
            INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                      initiator_id, reference, created_at)
            VALUES (p_hold_txn_id, 'hold', 'authorized', held - take, p_currency, purse.wallet_id, pending.credit_account_id,
                    purse.user_id, 'purse ' || p_purse_id, p_now);
            PERFORM ledger_post(p_ids[2], p_hold_txn_id, 'pending', purse.wallet_id, pending.credit_account_id, held - take,
                                p_currency, NULL, pending.expires_at, NULL, p_now);
            purse.hold_txn_id := p_hold_txn_id;
        END IF;
        SELECT credit_id INTO from_hold_to FROM ledger_post(p_ids[3], p_txn_id, 'posted', pending.credit_account_id,
                                                           till.id, take, p_currency, NULL, NULL, NULL, p_now);
    END IF;
    IF p_amount > take THEN
        -- Locked by ledger_post below as well; read under the lock so the amount is what it can pay.
        PERFORM 1 FROM accounts WHERE id IN (purse.wallet_id, till.id) ORDER BY id FOR NO KEY UPDATE;
        SELECT * INTO wallet FROM accounts WHERE id = purse.wallet_id;
        from_wallet := greatest(0, least(p_amount - take, wallet.credits_posted - wallet.debits_posted - wallet.debits_pending));
        owed := p_amount - take - from_wallet;
        IF from_wallet > 0 THEN
            SELECT credit_id INTO from_wallet_to FROM ledger_post(p_ids[4], p_txn_id, 'posted', purse.wallet_id, till.id,
                                                               from_wallet, p_currency, NULL, NULL, NULL, p_now);
        END IF;
        IF owed > 0 THEN
            SELECT credit_id INTO owed_to FROM ledger_post(p_ids[5], p_txn_id, 'posted', p_receivable_id, till.id,
                                                               owed, p_currency, NULL, NULL, NULL, p_now);
            -- The wallet owes it: collected from the next money that comes in (debts.sql).
            PERFORM debt_record(purse.wallet_id, p_receivable_id, owed, p_now);
        END IF;
    END IF;
    -- The merchant's fee (fees.sql), from the buckets these lines credited.
    PERFORM fee_merchant_charge_lines(p_txn_id, p_merchant_id, ARRAY[from_hold_to, from_wallet_to, owed_to],
                                      ARRAY[take, from_wallet, owed], p_amount,
                                      p_currency, purse.user_id, p_terminal_id, p_now);

    PERFORM set_config('wallet.freeze_exempt', 'off', true);
    INSERT INTO purse_tokens (id, purse_id, counter, token_hash, terminal_id, merchant_id, transaction_id, hold_transfer_id,
                              amount, from_hold, from_wallet, from_receivable, overspend, sold_at, received_at)
    VALUES (p_token_id, p_purse_id, p_counter, p_token_hash, p_terminal_id, p_merchant_id, p_txn_id, captured_by,
            p_amount, take, from_wallet, owed, overspend, p_sold_at, p_now);
    UPDATE offline_purses
       SET spent = spent + p_amount, debt = debt + owed, hold_txn_id = purse.hold_txn_id,
           status = CASE WHEN overspend THEN 'frozen' ELSE status END,
           frozen_reason = CASE WHEN overspend THEN coalesce(frozen_reason, reason) ELSE frozen_reason END
     WHERE id = p_purse_id;
    IF overspend THEN
        INSERT INTO offline_freezes (wallet_id, purse_id, reason, created_at)
        VALUES (purse.wallet_id, p_purse_id, reason, p_now) ON CONFLICT (wallet_id) DO NOTHING;
    END IF;
    PERFORM webhook_emit(p_event_id, p_merchant_id, 'payment.succeeded', jsonb_build_object(
        'id', p_txn_id, 'transaction_id', p_txn_id, 'amount', p_amount, 'currency', p_currency,
        'reference', 'purse ' || p_purse_id || ' #' || p_counter, 'qr_code_id', NULL, 'terminal_id', p_terminal_id,
        'order_id', NULL, 'offline', true, 'purse_id', p_purse_id, 'counter', p_counter,
        'sold_at', api_time(p_sold_at), 'created_at', api_time(p_now),
        'fee', (SELECT fee FROM transactions WHERE id = p_txn_id))::text, p_now);  -- charged above
    outcome := 'posted';
    transaction_id := p_txn_id;
END;
$$;

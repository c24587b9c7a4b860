-- ledger_post: one transfer between two accounts, in one call (app.wallet.ledger.record_transfer).
--
-- What it does, in this order, inside the caller's transaction:
--   1. locks both account rows, FOR NO KEY UPDATE, in primary-key order. Two transfers between
--      the same accounts lock them in the same order whatever their direction, so they queue
--      instead of deadlocking. NO KEY UPDATE, not FOR UPDATE: rows that reference an account
--      (transactions, entries) take KEY SHARE locks on it when inserted, and FOR UPDATE would
--      conflict with those. The locks are held until the caller commits.
--   2. applies the balance rules of app/wallet/rules.py (the readable specification, and the
--      oracle the property tests compare this function with): posted, pending, post_pending
--      (partial capture of a pending transfer), void_pending (release).
--   3. refuses, with SQLSTATE P0001, MESSAGE = our error code and DETAIL = its details as JSON:
--      currency_not_supported, insufficient_funds, balance_limit_exceeded, conflict (a credit
--      the receiving account cannot take), amount_exceeds_hold.
--   4. writes the transfer (its hash chained to both accounts' previous hashes, exactly as
--      rules.transfer_hash computes it), the two entries, and both accounts' new balances.
-- It does not commit, and it never weakens a check: the accounts' CHECK constraints (no
-- overdraft), the unique (account_id, seq) of entries and the unique pending_id of transfers
-- still stand behind it.
CREATE OR REPLACE FUNCTION ledger_post(
    p_transfer_id text, p_transaction_id text, p_kind text, p_debit_id text, p_credit_id text,
    p_amount bigint, p_currency text, p_pending_id text, p_expires_at timestamptz,
    p_credit_cap bigint, p_now timestamptz,
    OUT hash text,
    OUT debit_debits_posted bigint, OUT debit_credits_posted bigint,
    OUT debit_debits_pending bigint, OUT debit_credits_pending bigint,
    OUT credit_debits_posted bigint, OUT credit_credits_posted bigint,
    OUT credit_debits_pending bigint, OUT credit_credits_pending bigint)
LANGUAGE plpgsql AS $$
DECLARE
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    released bigint := 0;
    shown bigint;
BEGIN
    PERFORM 1 FROM accounts WHERE id IN (p_debit_id, p_credit_id) ORDER BY id FOR NO KEY UPDATE;
    SELECT * INTO d FROM accounts WHERE id = p_debit_id;
    SELECT * INTO c FROM accounts WHERE id = p_credit_id;
    IF d.id IS NULL OR c.id IS NULL THEN
        RAISE EXCEPTION 'not_found' USING DETAIL = '{}';
    END IF;
    IF d.currency <> p_currency OR c.currency <> p_currency THEN
        RAISE EXCEPTION 'currency_not_supported' USING DETAIL = '{}';
    END IF;
    IF p_pending_id IS NOT NULL THEN
        SELECT amount INTO released FROM transfers WHERE id = p_pending_id;
    END IF;

    debit_debits_posted := d.debits_posted;    debit_credits_posted := d.credits_posted;
    debit_debits_pending := d.debits_pending;  debit_credits_pending := d.credits_pending;
    credit_debits_posted := c.debits_posted;   credit_credits_posted := c.credits_posted;
    credit_debits_pending := c.debits_pending; credit_credits_pending := c.credits_pending;
    IF p_kind = 'posted' THEN
        debit_debits_posted := debit_debits_posted + p_amount;
        credit_credits_posted := credit_credits_posted + p_amount;
    ELSIF p_kind = 'pending' THEN
        debit_debits_pending := debit_debits_pending + p_amount;
        credit_credits_pending := credit_credits_pending + p_amount;
    ELSIF p_kind = 'post_pending' THEN
        IF p_amount < 0 OR p_amount > released THEN
            RAISE EXCEPTION 'amount_exceeds_hold' USING DETAIL = json_build_object('held', released, 'requested', p_amount);
        END IF;
        debit_debits_posted := debit_debits_posted + p_amount;
        debit_debits_pending := debit_debits_pending - released;
        credit_credits_posted := credit_credits_posted + p_amount;
        credit_credits_pending := credit_credits_pending - released;
    ELSIF p_kind = 'void_pending' THEN
        debit_debits_pending := debit_debits_pending - released;
        credit_credits_pending := credit_credits_pending - released;
    ELSE
        RAISE EXCEPTION 'unknown transfer kind %', p_kind;
    END IF;

    IF least(debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending) < 0
       OR (d.no_overdraft AND debit_debits_posted + debit_debits_pending > debit_credits_posted) THEN
        RAISE EXCEPTION 'insufficient_funds' USING DETAIL = json_build_object(
            'available', d.credits_posted - d.debits_posted - d.debits_pending, 'requested', p_amount);
    END IF;
    IF least(credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending) < 0
       OR (c.no_overdraft AND credit_debits_posted + credit_debits_pending > credit_credits_posted) THEN
        RAISE EXCEPTION 'conflict' USING DETAIL = '{}';
    END IF;
    IF p_credit_cap IS NOT NULL
       AND credit_credits_posted - credit_debits_posted + credit_credits_pending > p_credit_cap THEN
        RAISE EXCEPTION 'balance_limit_exceeded' USING DETAIL = json_build_object('max_balance', p_credit_cap);
    END IF;

    hash := encode(sha256(convert_to(concat_ws('|', p_transfer_id, p_transaction_id, p_kind, p_debit_id,
        p_credit_id, p_amount::text, p_currency, coalesce(p_pending_id, ''),
        to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), d.last_hash, c.last_hash), 'UTF8')), 'hex');
    INSERT INTO transfers (id, transaction_id, kind, debit_account_id, credit_account_id, amount, currency,
                           pending_id, expires_at, created_at, hash)
    VALUES (p_transfer_id, p_transaction_id, p_kind, p_debit_id, p_credit_id, p_amount, p_currency,
            p_pending_id, p_expires_at, p_now, hash);

    shown := CASE WHEN p_kind = 'void_pending' THEN 0 ELSE p_amount END;
    INSERT INTO entries (account_id, seq, transfer_id, transaction_id, amount, balance_after, prev_hash, created_at)
    VALUES (d.id, d.entry_count + 1, p_transfer_id, p_transaction_id, -shown,
            debit_credits_posted - debit_debits_posted, d.last_hash, p_now),
           (c.id, c.entry_count + 1, p_transfer_id, p_transaction_id, shown,
            credit_credits_posted - credit_debits_posted, c.last_hash, p_now);

    UPDATE accounts SET debits_posted = debit_debits_posted, credits_posted = debit_credits_posted,
                        debits_pending = debit_debits_pending, credits_pending = debit_credits_pending,
                        entry_count = entry_count + 1, last_hash = hash
     WHERE id = d.id;
    UPDATE accounts SET debits_posted = credit_debits_posted, credits_posted = credit_credits_posted,
                        debits_pending = credit_debits_pending, credits_pending = credit_credits_pending,
                        entry_count = entry_count + 1, last_hash = hash
     WHERE id = c.id;
END;
$$;

-- entry_search_text: what history's `q` searches of a transaction, kept on each of its entries
-- (entries.search, migration 0036): the reference and the note, lower-cased, joined by a unit
-- separator (0x1f). `q` has no control characters (app.core.fields.NO_CONTROLS), so no match can
-- span the two, and `search LIKE lower(pattern)` is `reference ILIKE pattern OR note ILIKE
-- pattern`: ILIKE itself is lower() of both sides, then LIKE. NULL when there is neither (the
-- index skips those rows). A transaction's reference and note are never updated.
-- Immutable operators only (not concat_ws, which is STABLE): PostgreSQL inlines it into the
-- statement that calls it, whose plan ledger_move keeps; a function it cannot inline has its
-- query planned again in every transaction (about 70 us more per payment, measured).
CREATE OR REPLACE FUNCTION entry_search_text(p_reference text, p_note text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(nullif(CASE WHEN p_reference IS NULL THEN p_note WHEN p_note IS NULL THEN p_reference
                             ELSE p_reference || E'\x1f' || p_note END, ''))
$$;


-- ledger_move: one transfer between exactly these two accounts. Called by ledger_post (below),
-- which first decides which accounts: a merchant's credit buckets.
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
--      currency_not_supported, wallet_frozen / recipient_frozen (freezes.sql), insufficient_funds,
--      balance_limit_exceeded, conflict (a credit
--      the receiving account cannot take), amount_exceeds_hold, and with p_limits (ledger_post's
--      call; fees, debts and sweeps are not the user's spending) the tier limits' limit_exceeded
--      (limits.sql).
--   4. writes the transfer (its hash chained to both accounts' previous hashes, exactly as
--      rules.transfer_hash computes it), the two entries (with the transaction's searched text,
--      above), and both accounts' new balances, with the debited wallet's day and month totals
--      (p_limits) in the same UPDATE.
-- It does not commit, and it never weakens a check: the accounts' CHECK constraints (no
-- overdraft), the unique (account_id, seq) of entries and the unique pending_id of transfers
-- still stand behind it.
CREATE OR REPLACE FUNCTION ledger_move(
    p_transfer_id text, p_transaction_id text, p_kind text, p_debit_id text, p_credit_id text,
    p_amount bigint, p_currency text, p_pending_id text, p_expires_at timestamptz,
    p_credit_cap bigint, p_now timestamptz, p_limits boolean DEFAULT false,
    OUT hash text,
    OUT debit_debits_posted bigint, OUT debit_credits_posted bigint,
    OUT debit_debits_pending bigint, OUT debit_credits_pending bigint,
    OUT credit_debits_posted bigint, OUT credit_credits_posted bigint,
    OUT credit_debits_pending bigint, OUT credit_credits_pending bigint)
LANGUAGE plpgsql AS $$
DECLARE
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    locked accounts%ROWTYPE;
    released bigint := 0;
    held_at timestamptz;
    t record;  -- a tier's figures
    day_total bigint;  -- the debited account's counters as they are written back (limits.sql)
    month_total bigint;
    day_from timestamptz;
    month_from timestamptz;
    given_back bigint;
    shown bigint;
    frozen text;
    searched text;
BEGIN
    -- Locked and read in one statement: FOR NO KEY UPDATE returns each row as it is once locked
    -- (the newest committed version, under READ COMMITTED), what a read after the lock would see.
    FOR locked IN SELECT * FROM accounts WHERE id IN (p_debit_id, p_credit_id) ORDER BY id FOR NO KEY UPDATE LOOP
        IF locked.id = p_debit_id THEN d := locked; ELSE c := locked; END IF;
    END LOOP;
    IF d.id IS NULL OR c.id IS NULL THEN
        RAISE EXCEPTION 'not_found' USING DETAIL = '{}';
    END IF;
    IF d.currency <> p_currency OR c.currency <> p_currency THEN
        RAISE EXCEPTION 'currency_not_supported' USING DETAIL = '{}';
    END IF;
    -- Freezes (freezes.sql), read now that both rows are locked: a freeze that committed before
    -- this lock was granted is seen. Captures and voids of holds (post_pending, void_pending) are
    -- not checked: a hold taken before a freeze may still be captured by the merchant.
    IF p_kind IN ('posted', 'pending') THEN
        frozen := freeze_refusal(CASE WHEN d.kind = 'user' THEN d.user_id END, d.id,
                                 CASE WHEN c.kind = 'user' THEN c.user_id END, c.id, p_now);
        IF frozen IS NOT NULL THEN
            RAISE EXCEPTION '%', frozen USING DETAIL = json_build_object(
                'wallet_id', CASE WHEN frozen = 'wallet_frozen' THEN d.id ELSE c.id END)::text;
        END IF;
    END IF;
    IF p_pending_id IS NOT NULL THEN
        SELECT amount, created_at INTO released, held_at FROM transfers WHERE id = p_pending_id;
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

    -- The tier limits (p_limits: ledger_post's call; limits.sql says what they are), checked after
    -- the balance rules and before anything is written. The wallet's day and month counters are
    -- columns of its own row, locked above: they are written back by the one UPDATE below.
    day_total := d.day_used;  month_total := d.month_used;  day_from := d.day_start;  month_from := d.month_start;
    IF p_limits AND p_kind IN ('posted', 'pending') AND d.kind = 'user' AND c.kind <> 'system' THEN
        SELECT tiers.max_payment, tiers.daily_out, tiers.monthly_out INTO t
          FROM users u JOIN tiers ON tiers.name = u.tier WHERE u.id = d.user_id;
        IF FOUND THEN
            IF p_amount > t.max_payment THEN
                PERFORM limits_refuse('max_payment', t.max_payment, t.max_payment, d.currency, NULL);
            END IF;
            -- a counter whose period is past counts from 0 (the period rolls forward)
            day_from := limits_period_start('day', p_now);
            month_from := limits_period_start('month', p_now);
            day_total := CASE WHEN d.day_start = day_from THEN d.day_used ELSE 0 END + p_amount;
            month_total := CASE WHEN d.month_start = month_from THEN d.month_used ELSE 0 END + p_amount;
            IF day_total > t.daily_out THEN
                PERFORM limits_refuse('daily_out', t.daily_out, t.daily_out - (day_total - p_amount), d.currency,
                                      day_from + interval '1 day');
            ELSIF month_total > t.monthly_out THEN
                PERFORM limits_refuse('monthly_out', t.monthly_out, t.monthly_out - (month_total - p_amount),
                                      d.currency, month_from + interval '1 month');
            END IF;
        END IF;
    ELSIF p_limits AND p_kind IN ('post_pending', 'void_pending') THEN
        -- a hold resolved for less than it took gives the rest back to the totals of the period
        -- it was counted in, if that is still the current one
        given_back := released - CASE WHEN p_kind = 'post_pending' THEN p_amount ELSE 0 END;
        IF given_back > 0 AND d.day_start = limits_period_start('day', held_at) THEN
            day_total := greatest(d.day_used - given_back, 0);
        END IF;
        IF given_back > 0 AND d.month_start = limits_period_start('month', held_at) THEN
            month_total := greatest(d.month_used - given_back, 0);
        END IF;
    END IF;
    IF p_limits AND p_credit_cap IS NOT NULL AND p_kind IN ('posted', 'pending') AND c.kind = 'user' THEN
        -- the receiving wallet's balance against its owner's tier
        SELECT tiers.max_balance INTO t FROM users u JOIN tiers ON tiers.name = u.tier WHERE u.id = c.user_id;
        IF FOUND AND credit_credits_posted - credit_debits_posted > t.max_balance THEN
            PERFORM limits_refuse('max_balance', t.max_balance,
                                  t.max_balance - (credit_credits_posted - credit_debits_posted - p_amount), c.currency,
                                  NULL);
        END IF;
    END IF;

    hash := encode(sha256(convert_to(concat_ws('|', p_transfer_id, p_transaction_id, p_kind, p_debit_id,
        p_credit_id, p_amount::text, p_currency, coalesce(p_pending_id, ''),
        to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), d.last_hash, c.last_hash), 'UTF8')), 'hex');
    INSERT INTO transfers (id, transaction_id, kind, debit_account_id, credit_account_id, amount, currency,
                           pending_id, expires_at, created_at, hash)
    VALUES (p_transfer_id, p_transaction_id, p_kind, p_debit_id, p_credit_id, p_amount, p_currency,
            p_pending_id, p_expires_at, p_now, hash);

    shown := CASE WHEN p_kind = 'void_pending' THEN 0 ELSE p_amount END;
    SELECT entry_search_text(reference, note) INTO searched FROM transactions WHERE id = p_transaction_id;
    INSERT INTO entries (account_id, seq, transfer_id, transaction_id, amount, balance_after, prev_hash, created_at,
                         search)
    VALUES (d.id, d.entry_count + 1, p_transfer_id, p_transaction_id, -shown,
            debit_credits_posted - debit_debits_posted, d.last_hash, p_now, searched),
           (c.id, c.entry_count + 1, p_transfer_id, p_transaction_id, shown,
            credit_credits_posted - credit_debits_posted, c.last_hash, p_now, searched);

    UPDATE accounts AS a SET debits_posted = v.debits_posted, credits_posted = v.credits_posted,
                             debits_pending = v.debits_pending, credits_pending = v.credits_pending,
                             entry_count = a.entry_count + 1, last_hash = hash,
                             day_start = v.day_start, day_used = v.day_used,
                             month_start = v.month_start, month_used = v.month_used
      FROM (VALUES (d.id, debit_debits_posted, debit_credits_posted, debit_debits_pending, debit_credits_pending,
                    day_from, day_total, month_from, month_total),
                   (c.id, credit_debits_posted, credit_credits_posted, credit_debits_pending, credit_credits_pending,
                    c.day_start, c.day_used, c.month_start, c.month_used))
           AS v (id, debits_posted, credits_posted, debits_pending, credits_pending,
                 day_start, day_used, month_start, month_used)
     WHERE a.id = v.id;
END;
$$;


-- ledger_post: one transfer, in one call (app.wallet.ledger.record_transfer and every payment
-- function). The same as ledger_move, plus the hot merchant's credit buckets:
--
-- A merchant account that every payment of a busy shop credits would serialize them all on its
-- row lock, held from ledger_move's lock until the payment commits (its disk flush included).
-- So a merchant account has `credit_buckets` child accounts (kind 'bucket', parent_id = it,
-- ids '<parent>.0' ... '<parent>.N-1'). Credits need no balance check, so:
--   * a posted credit to the parent lands in one bucket, chosen by the transfer id (spread
--     evenly; two payments to one shop queue only when they pick the same bucket). The
--     transaction row still names the parent: history, receipts and settlements see one merchant.
--     A credit with a balance cap (a wallet's maximum) is never spread: it needs the whole balance.
--   * a debit from the parent (a refund, a payout) that the parent alone cannot pay first locks the parent, all its buckets and
--     the other account in key order (the order every transfer locks in, so it cannot deadlock
--     with the payments), and sweeps each bucket's balance into the parent with a transfer of its
--     own (a 'bucket_sweep' transaction, related to the one that caused it), so that the parent's
--     own no-overdraft check sees all the merchant's money.
--   * pending credits (holds), their captures and voids go to the parent itself: a hold is
--     resolved against the account it was taken on.
-- Each bucket is an ordinary account with its own entries and hash chain: `flask ledger verify`
-- checks it like any other. The merchant's balance is the parent's plus its buckets'
-- (app.wallet.ledger.balance_with_buckets).
-- OUT credit_id: the account actually credited (the parent, or one of its buckets).
CREATE OR REPLACE FUNCTION ledger_post(
    p_transfer_id text, p_transaction_id text, p_kind text, p_debit_id text, p_credit_id text,
    p_amount bigint, p_currency text, p_pending_id text, p_expires_at timestamptz,
    p_credit_cap bigint, p_now timestamptz,
    OUT hash text,
    OUT debit_debits_posted bigint, OUT debit_credits_posted bigint,
    OUT debit_debits_pending bigint, OUT debit_credits_pending bigint,
    OUT credit_debits_posted bigint, OUT credit_credits_posted bigint,
    OUT credit_debits_pending bigint, OUT credit_credits_pending bigint,
    OUT credit_id text)
LANGUAGE plpgsql AS $$
DECLARE
    buckets smallint;
    bucket accounts%ROWTYPE;
    sweep_txn text;
    moved record;
    credit_kind text;  -- read only when the credit may be spread over buckets
    collected bigint;
BEGIN
    credit_id := p_credit_id;
    IF p_kind = 'posted' AND p_credit_cap IS NULL THEN
        SELECT credit_buckets, kind INTO buckets, credit_kind FROM accounts WHERE id = p_credit_id;
        IF buckets > 0 THEN
            credit_id := p_credit_id || '.' || ((hashtext(p_transfer_id) & 2147483647) % buckets);
        END IF;
    END IF;
    IF p_kind IN ('posted', 'pending') THEN
        SELECT credit_buckets INTO buckets FROM accounts WHERE id = p_debit_id;
        IF buckets > 0 THEN
            PERFORM 1 FROM accounts WHERE id IN (p_debit_id, credit_id) OR parent_id = p_debit_id
              ORDER BY id FOR NO KEY UPDATE;
            -- Swept only when the parent alone cannot pay: fewer ledger lines for a busy shop's refunds.
            FOR bucket IN SELECT b.* FROM accounts AS b JOIN accounts AS parent ON parent.id = b.parent_id
                           WHERE b.parent_id = p_debit_id AND b.credits_posted - b.debits_posted > 0
                             AND parent.credits_posted - parent.debits_posted - parent.debits_pending < p_amount
                           ORDER BY b.id LOOP
                sweep_txn := 'txn_' || substr(md5(p_transfer_id || '/sweep/' || bucket.id), 1, 24);
                INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                          related_id, created_at)
                VALUES (sweep_txn, 'bucket_sweep', 'succeeded', bucket.credits_posted - bucket.debits_posted,
                        bucket.currency, bucket.id, p_debit_id, p_transaction_id, p_now);
                PERFORM ledger_move('trf_' || substr(md5(p_transfer_id || '/sweep-transfer/' || bucket.id), 1, 24),
                                    sweep_txn, 'posted', bucket.id, p_debit_id,
                                    bucket.credits_posted - bucket.debits_posted, p_currency, NULL, NULL, NULL, p_now);
            END LOOP;
        END IF;
    END IF;
    -- Assigned, not SELECT * INTO moved FROM ledger_move(...), here and wherever a payment takes a
    -- one-row answer: PL/pgSQL evaluates an assignment as a simple expression, while the SELECT
    -- starts the executor and a tuplestore for the one row (about 25,000 instructions a call,
    -- bench.db_instructions; migration 0037).
    -- With the tier limits (app/wallet/sql/limits.sql), which ledger_move checks under the
    -- accounts' locks. A payment to a system account is not counted: ledger_move sees the account
    -- credited, so when that is a bucket, the parent's kind is told here.
    moved := ledger_move(p_transfer_id, p_transaction_id, p_kind, p_debit_id, credit_id,
                         p_amount, p_currency, p_pending_id, p_expires_at, p_credit_cap, p_now,
                         credit_kind IS DISTINCT FROM 'system');
    -- A wallet's debt (app/wallet/sql/debts.sql) is paid from money that came in (a posted credit:
    -- a top-up, a transfer, a refund, a reversal, an adjustment) or was freed (a hold released),
    -- in this same call, under the wallet's lock ledger_move holds. The OUT balances below are as
    -- the move left them, before any collection. (A partial capture's rest is not collected here:
    -- purse_capture holds it again at once; the next money in collects.)
    IF p_kind = 'posted' THEN
        collected := debt_collect(credit_id, p_transfer_id, p_transaction_id, p_now);
    ELSIF p_kind = 'void_pending' THEN
        collected := debt_collect(p_debit_id, p_transfer_id, p_transaction_id, p_now);
    END IF;
    hash := moved.hash;
    debit_debits_posted := moved.debit_debits_posted;     debit_credits_posted := moved.debit_credits_posted;
    debit_debits_pending := moved.debit_debits_pending;   debit_credits_pending := moved.debit_credits_pending;
    credit_debits_posted := moved.credit_debits_posted;   credit_credits_posted := moved.credit_credits_posted;
    credit_debits_pending := moved.credit_debits_pending; credit_credits_pending := moved.credit_credits_pending;
END;
$$;

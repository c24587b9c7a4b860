-- Fees: each one a ledger transfer of its own into the fee revenue account of its currency,
-- never a difference hidden inside another transfer. Called by the payment functions (qr_pay,
-- pos_charge, offline_pay, the captures, wallet_topup, wallet_transfer) and the refunds, inside
-- their one call. app/wallet/fee_rules.py is the readable specification of the arithmetic.
--
-- The rule: fee = round(amount * rate_bps / 10000), half up to the minor unit, then at least
-- min_fee, then at most the amount itself (a fee never exceeds what it is charged on). A rate of 0
-- with a minimum of 0 is no fee at all, and nothing is written.
--
-- The fee is a transaction of type 'fee' (related_id: the payment it was charged on; the payment's
-- own row carries the amount in `fee`), whose transfer goes from whoever pays it to the revenue
-- account: a merchant's discount from the very account the payment credited (the credit bucket
-- ledger_post chose, or the merchant account itself for a capture), a top-up's or P2P fee from the
-- user's wallet. So a history reads "payment 10.00, fee -0.15", and a sum over fee transactions is
-- what the revenue account holds.
--
-- The revenue account takes every payment's fee, so it is spread over credit buckets like a busy
-- merchant's account (ledger_post.sql), and the fee's transfer goes through ledger_move with the
-- bucket chosen here rather than ledger_post: a debit from a merchant parent through ledger_post
-- would lock all the merchant's buckets, and the revenue buckets are always locked after the
-- payer's accounts (payer, merchant, then revenue: every fee takes them in this order, so fees
-- cannot deadlock with each other or with the payments).

CREATE OR REPLACE FUNCTION fee_amount(p_amount bigint, p_rate_bps integer, p_min bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    -- numeric, not bigint: amount * 10000 may not fit in 64 bits for the largest amounts.
    SELECT CASE WHEN coalesce(p_rate_bps, 0) = 0 AND coalesce(p_min, 0) = 0 THEN 0
                ELSE least(p_amount, greatest(p_min, round(p_amount::numeric * p_rate_bps / 10000)::bigint)) END;
$$;

-- The revenue account of a currency, created on first use with its buckets. Its id is fixed by the
-- currency, so two first payments at once insert the same rows and the second simply finds them.
CREATE OR REPLACE FUNCTION fee_revenue_account(p_currency text, p_now timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    found_id text;
    new_id text := 'acc_fee_revenue_' || lower(p_currency);
BEGIN
    SELECT id INTO found_id FROM accounts WHERE code = 'fee_revenue' AND currency = p_currency;
    IF found_id IS NOT NULL THEN
        RETURN found_id;
    END IF;
    INSERT INTO accounts (id, kind, code, currency, no_overdraft, status, debits_posted, credits_posted,
                          debits_pending, credits_pending, entry_count, last_hash, created_at, credit_buckets)
    VALUES (new_id, 'system', 'fee_revenue', p_currency, true, 'active', 0, 0, 0, 0, 0, repeat('0', 64), p_now, 8)
    ON CONFLICT DO NOTHING;
    INSERT INTO accounts (id, kind, parent_id, currency, no_overdraft, status, debits_posted, credits_posted,
                          debits_pending, credits_pending, entry_count, last_hash, created_at, credit_buckets)
    SELECT new_id || '.' || n, 'bucket', new_id, p_currency, true, 'active', 0, 0, 0, 0, 0, repeat('0', 64), p_now, 0
      FROM generate_series(0, 7) AS n
    ON CONFLICT DO NOTHING;
    RETURN new_id;
END;
$$;

-- fee_post: the fee of payment p_related_id (fee > 0), paid by account p_payer_id (which the caller
-- has already locked, through its own transfer). Ids are derived from the payment's, so the call
-- needs no more arguments. Answers the fee transaction's id.
CREATE OR REPLACE FUNCTION fee_post(p_related_id text, p_payer_id text, p_fee bigint, p_currency text,
                                    p_initiator_id text, p_terminal_id text, p_now timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    revenue text;
    buckets smallint;
    fee_txn text := 'txn_' || substr(md5(p_related_id || '/fee'), 1, 24);
    fee_trf text := 'trf_' || substr(md5(p_related_id || '/fee-transfer'), 1, 24);
BEGIN
    IF p_fee IS NULL OR p_fee <= 0 THEN
        RETURN NULL;
    END IF;
    revenue := fee_revenue_account(p_currency, p_now);
    SELECT credit_buckets INTO buckets FROM accounts WHERE id = revenue;
    -- The transaction names the account actually debited, a merchant's bucket included: the
    -- merchant's history reads its buckets' entries and shows them as the merchant's, and "the
    -- other side" of such a row is then the revenue account, as it should be.
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, related_id, terminal_id, created_at)
    VALUES (fee_txn, 'fee', 'succeeded', p_fee, p_currency, p_payer_id, revenue,
            p_initiator_id, p_related_id, p_terminal_id, p_now);
    PERFORM ledger_move(fee_trf, fee_txn, 'posted', p_payer_id,
                        revenue || '.' || ((hashtext(fee_trf) & 2147483647) % buckets), p_fee, p_currency,
                        NULL, NULL, NULL, p_now);
    UPDATE transactions SET fee = p_fee WHERE id = p_related_id;
    RETURN fee_txn;
END;
$$;

-- A merchant's discount fee on a payment of p_amount, per the merchant's rate (merchants.fee_rate_bps,
-- merchants.fee_min). p_credited: the account the payment's transfer credited (ledger_post's OUT
-- credit_id). Answers the fee (0 when the merchant has none).
CREATE OR REPLACE FUNCTION fee_merchant_charge(p_related_id text, p_merchant_id text, p_credited text,
                                               p_amount bigint, p_currency text, p_initiator_id text,
                                               p_terminal_id text, p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    fee bigint;
BEGIN
    SELECT fee_amount(p_amount, fee_rate_bps, fee_min) INTO fee FROM merchants WHERE id = p_merchant_id;
    PERFORM fee_post(p_related_id, p_credited, fee, p_currency, p_initiator_id, p_terminal_id, p_now);
    RETURN coalesce(fee, 0);
END;
$$;

-- A user's top-up or P2P fee (p_kind 'topup' or 'p2p'), per fee_settings.
CREATE OR REPLACE FUNCTION fee_user_charge(p_kind text, p_related_id text, p_wallet_id text, p_amount bigint,
                                           p_currency text, p_user_id text, p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    fee bigint;
BEGIN
    SELECT CASE WHEN p_kind = 'topup' THEN fee_amount(p_amount, topup_rate_bps, topup_min)
                ELSE fee_amount(p_amount, p2p_rate_bps, p2p_min) END INTO fee
      FROM fee_settings WHERE id = 'global';
    PERFORM fee_post(p_related_id, p_wallet_id, fee, p_currency, p_user_id, NULL, p_now);
    RETURN coalesce(fee, 0);
END;
$$;

-- fee_refund: a refund against payment p_payment_id (refund transaction p_refund_id already
-- written, its transfer merchant account p_till -> wallet p_customer not yet posted). When the
-- merchant's setting (merchants.refund_returns_fee, or fee_settings' when the merchant has none)
-- says so, the fee goes back from the revenue account to the merchant in proportion: after all
-- refunds of a payment, round(fee * refunded / amount) half up has been returned in total, so a
-- full refund (in one go or in parts) returns exactly the fee. Called BEFORE the refund's own
-- transfer, so that the merchant can refund the whole price of a payment it kept only the net of;
-- it first locks what the refund's transfer will lock (the merchant account, its buckets and the
-- wallet, in key order, as ledger_post does), and only then the revenue account: merchant before
-- revenue, the order every fee line takes, so that a refund cannot deadlock with the payments. p_always: a reversal (the sale
-- undone at the till, within minutes) gives the fee back whatever the setting. Answers the fee
-- returned (0 or more) and whether fees are returned.
CREATE OR REPLACE FUNCTION fee_refund(p_refund_id text, p_payment_id text, p_merchant_id text, p_till text,
                                      p_customer text, p_currency text, p_initiator_id text, p_terminal_id text, p_now timestamptz,
                                      p_always boolean, OUT returned bigint, OUT returns_fee boolean)
LANGUAGE plpgsql AS $$
DECLARE
    pay transactions%ROWTYPE;
    charged bigint;
    refunded bigint;
    before bigint;
    revenue text;
    fee_txn text := 'txn_' || substr(md5(p_refund_id || '/fee-return'), 1, 24);
BEGIN
    returned := 0;
    SELECT coalesce(m.refund_returns_fee, s.refund_returns_fee, false) INTO returns_fee
      FROM merchants m LEFT JOIN fee_settings s ON s.id = 'global' WHERE m.id = p_merchant_id;
    returns_fee := returns_fee OR p_always;
    SELECT * INTO pay FROM transactions WHERE id = p_payment_id;
    IF NOT returns_fee OR pay.fee = 0 THEN
        RETURN;
    END IF;
    -- What the fee was charged on: a captured hold's captured amount, else the payment's.
    SELECT c.amount INTO charged FROM transfers p JOIN transfers c ON c.pending_id = p.id AND c.kind = 'post_pending'
     WHERE p.transaction_id = pay.id AND p.kind = 'pending';
    charged := coalesce(charged, pay.amount);
    IF charged = 0 THEN
        RETURN;
    END IF;
    -- Refunds of this payment, this one included (its row is written), and the fee they returned.
    SELECT coalesce(sum(amount), 0), coalesce(sum(fee), 0) INTO refunded, before
      FROM transactions WHERE related_id = p_payment_id AND type IN ('refund', 'reversal') AND status = 'succeeded';
    returned := round(pay.fee::numeric * least(refunded, charged) / charged)::bigint - before;
    IF returned <= 0 THEN
        returned := 0; RETURN;
    END IF;
    PERFORM 1 FROM accounts WHERE id IN (p_till, p_customer) OR parent_id = p_till ORDER BY id FOR NO KEY UPDATE;
    revenue := fee_revenue_account(p_currency, p_now);
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, related_id, terminal_id, created_at)
    VALUES (fee_txn, 'fee_return', 'succeeded', returned, p_currency, revenue, p_till, p_initiator_id,
            p_refund_id, p_terminal_id, p_now);
    -- ledger_post: the revenue account's buckets are swept into it when it alone cannot pay.
    PERFORM ledger_post('trf_' || substr(md5(p_refund_id || '/fee-return-transfer'), 1, 24), fee_txn, 'posted',
                        revenue, p_till, returned, p_currency, NULL, NULL, NULL, p_now);
    UPDATE transactions SET fee = returned WHERE id = p_refund_id;
END;
$$;

-- fee_merchant_charge_lines: as fee_merchant_charge, for a payment that credited the merchant in
-- several transfers (an offline purse's capture: from escrow, from the wallet, from the
-- receivable), each into a credit bucket of its own choosing. One fee transaction; its transfers
-- take the fee from those buckets in turn, each at most what its line credited there (the bucket
-- is still locked by that line, so the money is there). Lines of 0 (and their NULL ids) are skipped.
CREATE OR REPLACE FUNCTION fee_merchant_charge_lines(p_related_id text, p_merchant_id text, p_credited text[],
                                                     p_amounts bigint[], p_amount bigint, p_currency text,
                                                     p_initiator_id text, p_terminal_id text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    charged_fee bigint;
    revenue text;
    buckets smallint;
    target text;
    left_to_take bigint;
    part bigint;
    fee_txn text := 'txn_' || substr(md5(p_related_id || '/fee'), 1, 24);
BEGIN
    SELECT fee_amount(p_amount, fee_rate_bps, fee_min) INTO charged_fee FROM merchants WHERE id = p_merchant_id;
    IF coalesce(charged_fee, 0) <= 0 THEN
        RETURN 0;
    END IF;
    revenue := fee_revenue_account(p_currency, p_now);
    SELECT credit_buckets INTO buckets FROM accounts WHERE id = revenue;
    target := revenue || '.' || ((hashtext(fee_txn) & 2147483647) % buckets);
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, related_id, terminal_id, created_at)
    SELECT fee_txn, 'fee', 'succeeded', charged_fee, p_currency, p_credited[i], revenue, p_initiator_id, p_related_id,
           p_terminal_id, p_now
      FROM generate_subscripts(p_credited, 1) AS i WHERE p_amounts[i] > 0 ORDER BY i LIMIT 1;
    left_to_take := charged_fee;
    FOR i IN 1 .. coalesce(array_length(p_credited, 1), 0) LOOP
        part := least(left_to_take, coalesce(p_amounts[i], 0));
        CONTINUE WHEN part <= 0;
        PERFORM ledger_move('trf_' || substr(md5(p_related_id || '/fee-transfer/' || i), 1, 24), fee_txn, 'posted',
                            p_credited[i], target, part, p_currency, NULL, NULL, NULL, p_now);
        left_to_take := left_to_take - part;
    END LOOP;
    UPDATE transactions SET fee = charged_fee WHERE id = p_related_id;
    RETURN charged_fee;
END;
$$;

-- A wallet's debts (the wallet_debts table, app.wallet.models.WalletDebt): recorded by whoever
-- paid for the wallet what it could not pay (today only purse_capture, app/pos/purse/purse.sql:
-- an offline purse's overspend on an empty wallet), and collected from the next money that
-- comes in, inside the posting that brings it (ledger_post calls debt_collect): one call, no
-- sweeper, and no window in which the new money can be spent before the debt is paid.
--
-- Lock order: the wallet's account row first (the caller holds it: ledger_move locked it), then
-- its wallet_debts row, then the receivable. Everyone who records or collects a wallet's debt
-- holds that wallet's row first, so two of them queue on it and never deadlock.

-- debt_record: p_amount more owed by the wallet to p_receivable_id. The caller holds the wallet's lock.
CREATE OR REPLACE FUNCTION debt_record(p_wallet_id text, p_receivable_id text, p_amount bigint, p_now timestamptz)
RETURNS void LANGUAGE plpgsql AS $$  -- PL/pgSQL keeps its plan (idempotency_claim.sql says why)
BEGIN
    INSERT INTO wallet_debts (wallet_id, receivable_id, owed, collected, updated_at)
    VALUES (p_wallet_id, p_receivable_id, p_amount, 0, p_now)
    ON CONFLICT (wallet_id) DO UPDATE SET owed = wallet_debts.owed + EXCLUDED.owed, updated_at = EXCLUDED.updated_at;
END;
$$;

-- debt_collect: after money came into the wallet (a posted credit) or was freed on it (a hold
-- released), take what it owes from its available money, as far as that goes: a transfer of its
-- own (transaction type 'debt_collection', related to the one that brought the money, wallet ->
-- receivable), so history shows the money coming in and the debt going out as two rows. Never
-- held money (it is promised to someone) and never below zero (ledger_move's no-overdraft rule);
-- not from a wallet an operator froze (the operator decides what leaves it). Its ids derive from
-- the causing transfer's id, as the credit buckets' sweeps do. The caller holds the wallet's lock.
-- OUT taken: the amount collected (0 when nothing is owed: one index probe on a small table).
CREATE OR REPLACE FUNCTION debt_collect(p_wallet_id text, p_cause_transfer_id text, p_cause_txn_id text,
                                        p_now timestamptz, OUT taken bigint)
LANGUAGE plpgsql AS $$
DECLARE
    debt wallet_debts%ROWTYPE;
    wallet accounts%ROWTYPE;
    txn text;
BEGIN
    taken := 0;
    SELECT * INTO debt FROM wallet_debts WHERE wallet_id = p_wallet_id AND owed > collected FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO wallet FROM accounts WHERE id = p_wallet_id;
    IF wallet.status <> 'active' THEN
        RETURN;
    END IF;
    taken := least(debt.owed - debt.collected, wallet.credits_posted - wallet.debits_posted - wallet.debits_pending);
    IF taken <= 0 THEN
        taken := 0; RETURN;
    END IF;
    txn := 'txn_' || substr(md5(p_cause_transfer_id || '/debt/' || p_wallet_id), 1, 24);
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, related_id, created_at)
    VALUES (txn, 'debt_collection', 'succeeded', taken, wallet.currency, p_wallet_id, debt.receivable_id,
            wallet.user_id, 'offline purse debt', p_cause_txn_id, p_now);
    -- ledger_move, not ledger_post: not the user's spending (no tier limits), and no recursion.
    PERFORM ledger_move('trf_' || substr(md5(p_cause_transfer_id || '/debt-transfer/' || p_wallet_id), 1, 24),
                        txn, 'posted', p_wallet_id, debt.receivable_id, taken, wallet.currency,
                        NULL, NULL, NULL, p_now);
    UPDATE wallet_debts SET collected = wallet_debts.collected + taken, updated_at = p_now
     WHERE wallet_id = p_wallet_id;
END;
$$;

-- adjustment_decide: a second operator approves or rejects a proposed adjustment, in one call
-- (app.ops.adjustments.services.decide). Inside one statement, so one transaction:
--   1. locks the proposal row (FOR UPDATE). Ten approvals of one proposal at once queue here;
--      the first posts, the others find it no longer pending (adjustment_not_pending). This
--      lock comes before ledger_post's account locks, and every caller takes them in that order.
--   2. refuses: not_found, adjustment_not_pending, self_approval (the proposer can neither
--      approve nor reject their own proposal: the second pair of eyes must be a different pair).
--   3. approve: writes the transaction (type 'adjustment') and posts it with ledger_post, which
--      locks both accounts in key order and refuses insufficient_funds (a debit the wallet cannot
--      cover) or balance_limit_exceeded by raising. A raise undoes the whole statement: the
--      proposal STAYS PENDING, unchanged, so it can be approved once the money is there, or
--      rejected. (Marking it failed would need a commit, and a refused approval changes nothing.)
--   4. marks the proposal approved or rejected with the decider's id, and appends the audit
--      record (audit_append, last, as it must be: app/core/sql/audit.sql).
-- Refusals are SQLSTATE P0001 with MESSAGE = our error code, DETAIL = details as JSON.
CREATE OR REPLACE FUNCTION adjustment_decide(
    p_id text, p_operator text, p_approve boolean, p_note text, p_ip text, p_now timestamptz,
    p_transaction_id text, p_transfer_id text, p_cap bigint,
    OUT status text, OUT transaction_id text)
LANGUAGE plpgsql AS $$
DECLARE
    a adjustments%ROWTYPE;
    debit_id text;
    credit_id text;
BEGIN
    SELECT * INTO a FROM adjustments WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not_found' USING DETAIL = '{}';
    END IF;
    IF a.status <> 'pending' THEN
        RAISE EXCEPTION 'adjustment_not_pending' USING DETAIL = json_build_object('status', a.status)::text;
    END IF;
    IF a.proposed_by = p_operator THEN
        RAISE EXCEPTION 'self_approval' USING DETAIL = '{}';
    END IF;

    IF p_approve THEN
        IF a.direction = 'credit' THEN
            debit_id := a.counter_account_id; credit_id := a.wallet_id;
        ELSE
            debit_id := a.wallet_id; credit_id := a.counter_account_id;
        END IF;
        INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                                  initiator_id, reference, created_at)
        VALUES (p_transaction_id, 'adjustment', 'succeeded', a.amount, a.currency, debit_id, credit_id,
                a.proposed_by, a.reference, p_now);
        -- Not stopped by a freeze (wallet.freeze_exempt: app/wallet/sql/freezes.sql): two operators
        -- decided it, and taking back a fraudulent credit must not need the freeze lifted first.
        PERFORM set_config('wallet.freeze_exempt', 'on', true);
        PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', debit_id, credit_id, a.amount, a.currency,
                            NULL, NULL, CASE WHEN a.direction = 'credit' THEN p_cap END, p_now);
        PERFORM set_config('wallet.freeze_exempt', 'off', true);
        status := 'approved';
        transaction_id := p_transaction_id;
    ELSE
        status := 'rejected';
    END IF;

    UPDATE adjustments SET status = adjustment_decide.status, decided_by = p_operator, decided_at = p_now,
                           decision_note = p_note, transaction_id = adjustment_decide.transaction_id
     WHERE id = p_id;
    PERFORM audit_append('operator', p_operator, CASE WHEN p_approve THEN 'adjustment.approve' ELSE 'adjustment.reject' END,
                         'adjustment', p_id, jsonb_build_object('status', 'pending'),
                         jsonb_build_object('status', adjustment_decide.status, 'transaction_id', adjustment_decide.transaction_id),
                         p_note, p_ip, p_now);
END;
$$;

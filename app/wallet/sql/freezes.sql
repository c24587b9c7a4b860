-- Freezes, checked by ledger_move (ledger_post.sql) inside every posting's transaction, after it
-- has locked both accounts. app/ops/freezes writes the rows; app/wallet/freezes.py reads them for
-- GET /wallets; the README ("Running the wallet", Freezes) states the rules.
--
-- A freeze covers one wallet (wallet_id) or every wallet of its user (wallet_id NULL), with scope
-- 'all' (nothing moves) or 'debits' (money may still come in). It applies from its commit until
-- it is lifted or it ends: the check compares lifted_at and ends_at with the posting's own time
-- (p_now, taken when the request began), so an expired freeze stops applying by itself, with no
-- sweeper, and a payment that began before a lift is still refused after it (the end of a freeze
-- is exact in the posting's time; its start is exact in commit order, as below).
--
-- Why the check cannot be raced: setting a freeze locks the wallets it covers (FOR NO KEY UPDATE,
-- key order, app.ops.freezes.services) before inserting the row, the same lock every posting
-- takes first. A payment holding the lock commits before the freeze can; a payment that locks
-- after the freeze committed reads the freezes in a statement that starts after its lock was
-- granted (READ COMMITTED: a new snapshot per statement), so it sees the freeze and is refused.
--
-- freeze_refusal: what a posted or pending transfer from p_debit_* to p_credit_* is refused for,
-- or NULL. The *_user arguments are NULL for accounts that are not users' wallets (merchants,
-- system accounts): only wallets freeze. One indexed lookup (ix_freezes_user) for both sides at
-- once; a user has few freezes, lifted ones included.
--   wallet_frozen     the debited wallet is under any freeze (all or debits);
--   recipient_frozen  the credited wallet is under an 'all' freeze.
-- Exempt, when the transaction has set wallet.freeze_exempt to 'on' (set_config(..., true): to
-- the end of the transaction, and undone with a rolled-back savepoint): an approved adjustment
-- (two operators decided it; taking back a fraudulent credit must not need the freeze lifted) and
-- an offline purse's capture (a sale a terminal accepted offline is never declined afterwards).
CREATE OR REPLACE FUNCTION freeze_refusal(p_debit_user text, p_debit_id text, p_credit_user text, p_credit_id text,
                                          p_now timestamptz) RETURNS text
LANGUAGE plpgsql AS $$  -- VOLATILE on purpose: its query takes a snapshot of its own, after the caller's lock
DECLARE
    found record;
BEGIN
    IF p_debit_user IS NULL AND p_credit_user IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT bool_or(f.user_id = p_debit_user AND (f.wallet_id IS NULL OR f.wallet_id = p_debit_id)) AS debit,
           bool_or(f.user_id = p_credit_user AND f.scope = 'all'
                   AND (f.wallet_id IS NULL OR f.wallet_id = p_credit_id)) AS credit
      INTO found
      FROM freezes f
     WHERE f.user_id IN (p_debit_user, p_credit_user)
       AND (f.lifted_at IS NULL OR f.lifted_at > p_now) AND (f.ends_at IS NULL OR f.ends_at > p_now);
    IF NOT coalesce(found.debit, false) AND NOT coalesce(found.credit, false) THEN
        RETURN NULL;
    END IF;
    IF current_setting('wallet.freeze_exempt', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RETURN CASE WHEN found.debit THEN 'wallet_frozen' ELSE 'recipient_frozen' END;
END;
$$;

-- freeze_scope: the strongest freeze on one wallet at p_now ('all', 'debits' or NULL), for the
-- early refusals that give a clearer code before anything is taken (a consumer payment code at a
-- terminal: payer_frozen). ledger_move's check above stays the guarantee.
CREATE OR REPLACE FUNCTION freeze_scope(p_user_id text, p_wallet_id text, p_now timestamptz) RETURNS text
LANGUAGE plpgsql STABLE AS $$  -- PL/pgSQL keeps its plan (idempotency_claim.sql says why)
BEGIN
    RETURN (SELECT min(scope) FROM freezes  -- 'all' < 'debits'
             WHERE user_id = p_user_id AND (wallet_id IS NULL OR wallet_id = p_wallet_id)
               AND (lifted_at IS NULL OR lifted_at > p_now) AND (ends_at IS NULL OR ends_at > p_now));
END;
$$;

-- payment_code_take: use up one consumer payment code, inside the caller's transaction
-- (pos_charge, vending_authorize, and app.qr.devices.services.resolve_payment_code).
--
-- The caller has already proved the code: Python decrypted the device's seed and found the TOTP
-- step it matches (app.qr.devices.services.verify_payment_code). That stays in Python because
-- the seed is encrypted with DATA_ENCRYPTION_KEY, which the database never sees: handing the key
-- or the plain seed to SQL would put it in the server's memory, logs and statement statistics.
-- What must be atomic with the payment is done here, in the payment's own transaction:
--   1. the device still pays (not revoked) and its owner may pay (payer_refusal: active, verified);
--   2. the wallet in the code's slot (GET /wallets order: created_at, id) exists and is active,
--      and no freeze covers it (payer_frozen);
--   3. the code is taken once: INSERT into payment_codes_used, whose primary key (device_id, step)
--      is the guarantee. A second taker of the same code waits on that key until the first
--      commits, then finds it and is refused payment_code_used; if the first rolls back, the
--      second takes it. Nothing is taken when 1 or 2 refuse, so a refused code costs nothing.
-- Returns refusal (a payment code refusal, NULL when taken), the payer and the wallet.
-- Locks nothing but the new row's key.
CREATE OR REPLACE FUNCTION payment_code_take(
    p_device_id text, p_step bigint, p_slot integer, p_now timestamptz,
    OUT refusal text, OUT user_id text, OUT wallet_id text, OUT wallet_currency text)
LANGUAGE plpgsql AS $$
DECLARE
    device devices%ROWTYPE;
    wallet accounts%ROWTYPE;
    taken text;
BEGIN
    SELECT * INTO device FROM devices WHERE id = p_device_id;
    IF device.id IS NULL THEN
        refusal := 'payment_code_invalid'; RETURN;
    END IF;
    IF device.revoked_at IS NOT NULL OR payer_refusal(device.user_id) IS NOT NULL THEN
        refusal := 'payment_code_revoked'; RETURN;
    END IF;
    SELECT * INTO wallet FROM accounts AS a
     WHERE a.user_id = device.user_id AND a.kind = 'user'
     ORDER BY a.created_at, a.id OFFSET p_slot LIMIT 1;
    IF wallet.id IS NULL THEN
        refusal := 'payment_code_invalid'; RETURN;
    END IF;
    user_id := device.user_id;
    wallet_id := wallet.id;
    wallet_currency := wallet.currency;
    IF wallet.status <> 'active' THEN
        refusal := 'wallet_frozen'; RETURN;
    END IF;
    -- A freeze (app/wallet/sql/freezes.sql): the terminal is told payer_frozen, a code of its own
    -- it can show, and the code is not taken. ledger_post checks again under the wallet's lock.
    IF freeze_scope(device.user_id, wallet.id, p_now) IS NOT NULL THEN
        refusal := 'payer_frozen'; RETURN;
    END IF;
    INSERT INTO payment_codes_used (device_id, step, used_at) VALUES (p_device_id, p_step, p_now)
    ON CONFLICT DO NOTHING RETURNING device_id INTO taken;
    IF taken IS NULL THEN
        refusal := 'payment_code_used';
    END IF;
END;
$$;

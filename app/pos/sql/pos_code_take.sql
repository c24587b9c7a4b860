-- pos_code_take: the customer's code at a terminal, the step pos_charge and vending_authorize share
-- (called inside their statement: no round trip of its own). In this order:
--   1. the refusal Python found reading the code (p_code_refusal: invalid, expired), else
--      payment_code_take (revoked, frozen, used; it takes the code, locking its key);
--   2. the payer's PIN lock (p_pin_locked, read from the store): a customer locked out by wrong
--      PINs pays nothing, small amounts included;
--   3. the wallet's currency against the payment's (currency_not_supported).
-- The payer (user_id, wallet_id) is known once the code is taken, and is given even when step 2
-- or 3 refuses, so that the caller records the refusal against them (pos_refused). A code taken
-- here stays taken whatever the caller refuses later: a scanned code is one consent, used once.
CREATE OR REPLACE FUNCTION pos_code_take(
    p_code_refusal text, p_device_id text, p_step bigint, p_slot integer, p_pin_locked boolean,
    p_currency text, p_now timestamptz,
    OUT refusal text, OUT user_id text, OUT wallet_id text)
LANGUAGE plpgsql AS $$
DECLARE
    taken record;
    held_currency text;
BEGIN
    refusal := p_code_refusal;
    IF refusal IS NULL THEN
        taken := payment_code_take(p_device_id, p_step, p_slot, p_now);
        refusal := taken.refusal;
        IF refusal IS NULL THEN
            user_id := taken.user_id; wallet_id := taken.wallet_id; held_currency := taken.wallet_currency;
        END IF;
    END IF;
    IF refusal IS NULL AND p_pin_locked THEN
        refusal := 'pin_locked';
    ELSIF refusal IS NULL AND held_currency <> p_currency THEN
        refusal := 'currency_not_supported';
    END IF;
END;
$$;

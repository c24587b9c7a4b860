-- charge_answer: a terminal charge as the API shows it (app.pos.charges.services.charge_out),
-- for the functions that store that answer under an Idempotency-Key: a reversal's (pos_give_back in
-- pos_refund.sql; this file held pos_reverse until migration 0034 made it one with the refund).
-- Expiry is read, not written, as effective_status does; the payer is "Alice D." (owner_display),
-- never the phone.
CREATE OR REPLACE FUNCTION charge_answer(charge pos_charges, p_now timestamptz) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    words text[];
    display text;
BEGIN
    SELECT regexp_split_to_array(btrim(name, E' \t\n\r\f\v'), '\s+') INTO words FROM users WHERE id = charge.user_id;
    IF words IS NOT NULL AND words[1] <> '' THEN
        display := CASE WHEN cardinality(words) = 1 THEN words[1]
                        ELSE words[1] || ' ' || left(words[cardinality(words)], 1) || '.' END;
    END IF;
    RETURN json_build_object(
        'id', charge.id,
        'status', CASE WHEN charge.status = 'requires_confirmation' AND charge.expires_at <= p_now THEN 'expired'
                       ELSE charge.status END,
        'amount', charge.amount, 'currency', charge.currency, 'reference', charge.reference,
        'wallet_owner_display', display, 'created_at', api_time(charge.created_at),
        'transaction_id', charge.transaction_id, 'expires_at', api_time(charge.expires_at),
        'refunded_amount', charge.refunded_amount, 'failure_code', charge.failure_code);
END;
$$;

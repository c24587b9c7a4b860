-- webhook_emit: the SQL side of app.merchant.events.emit, the one function every payment function
-- writes its webhook events with (charges, vending, holds, refunds, reversals, QR, offline and
-- order payments). Inside the caller's transaction, so the event and its deliveries exist exactly
-- when what they report does: a refused payment raises and takes them back with it. One delivery
-- per active endpoint of the merchant subscribed to the type. p_data is stored as the caller wrote
-- it (json or jsonb, cast to text), so each event keeps its exact text. It locks nothing (plain
-- inserts), so it may run before or after the caller's locks.
-- The event keeps the id of the HTTP request that caused it (request_id), read from the setting
-- wallet.request_id that app.core.request_ids.carrying_request_id sets in the same statement as
-- the payment call (no argument to thread through every payment function, no extra round trip);
-- NULL when no request set it (the hold sweeper, a psql session).
CREATE OR REPLACE FUNCTION webhook_emit(p_event_id text, p_merchant_id text, p_type text, p_data text,
                                        p_now timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, merchant_id, type, data, created_at, request_id)
    VALUES (p_event_id, p_merchant_id, p_type, p_data, p_now, nullif(current_setting('wallet.request_id', true), ''));
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id, status, attempts, next_attempt_at,
                                    created_at, updated_at)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), p_event_id, e.id, p_merchant_id, 'pending', 0,
           p_now, p_now, p_now
      FROM webhook_endpoints e
     WHERE e.merchant_id = p_merchant_id AND e.status = 'active' AND e.events::jsonb ? p_type;
END;
$$;

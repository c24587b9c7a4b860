-- order_answer: an online order as the API shows it (app.checkout.orders.services.order_out),
-- for the order.paid event qr_pay (app/checkout/qr_payments/qr_pay.sql) writes. p_link is the deep
-- link the caller built from the payload (orders.services.deep_link: URL quoting stays in one place,
-- Python's). Expiry is read, not written.
CREATE OR REPLACE FUNCTION order_answer(o orders, p_payload text, p_link text, p_now timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', o.id, 'status', CASE WHEN o.status = 'pending' AND o.expires_at <= p_now THEN 'expired' ELSE o.status END,
        'amount', o.amount, 'currency', o.currency, 'reference', o.reference, 'description', o.description,
        'payload', p_payload, 'deep_link', p_link, 'qr_image_url', '/api/v1/qr-codes/' || o.qr_code_id || '.png',
        'transaction_id', o.transaction_id, 'refunded_amount', o.refunded_amount,
        'expires_at', api_time(o.expires_at), 'created_at', api_time(o.created_at),
        'updated_at', api_time(o.updated_at));
$$;

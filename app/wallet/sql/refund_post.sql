-- refund_post: the money of a refund or a reversal, once for every caller: a terminal's refund and
-- reversal (pos_give_back, app/pos/charges/pos_refund.sql) and an order's refund (order_refund,
-- app/checkout/orders/order_refund.sql). The caller has locked the charge or order row, checked
-- the remainder under that lock and written the webhook event; this writes, in this order:
--   1. the transaction (p_type 'refund' or 'reversal'), p_till -> p_customer, related to the
--      payment it gives back part of;
--   2. the merchant's fee on that payment, back in proportion (fee_refund, fees.sql) when its
--      setting says so or p_always (a reversal undoes the sale): before the transfer, so the
--      merchant gives back the whole price of what it kept the net of;
--   3. the transfer through ledger_post, which locks both accounts in key order after the caller's
--      row (the order every use case takes) and checks the merchant's balance, its credit buckets
--      swept in first (insufficient_funds when even they cannot pay). No cap on the wallet: this is
--      the customer's own money coming back.
-- Answers fee_refund's: the fee returned and whether the merchant's setting returns it.
CREATE OR REPLACE FUNCTION refund_post(
    p_transaction_id text, p_transfer_id text, p_type text, p_amount bigint, p_currency text,
    p_till text, p_customer text, p_merchant_id text, p_initiator_id text, p_reference text,
    p_payment_id text, p_terminal_id text, p_always boolean, p_now timestamptz,
    OUT returned bigint, OUT returns_fee boolean)
LANGUAGE plpgsql AS $$
DECLARE
    fee record;
BEGIN
    INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, credit_account_id,
                              initiator_id, reference, related_id, terminal_id, created_at)
    VALUES (p_transaction_id, p_type, 'succeeded', p_amount, p_currency, p_till, p_customer,
            p_initiator_id, p_reference, p_payment_id, p_terminal_id, p_now);
    -- An assignment, not SELECT ... FROM: PL/pgSQL evaluates it without starting an executor.
    fee := fee_refund(p_transaction_id, p_payment_id, p_merchant_id, p_till, p_customer, p_currency,
                      p_initiator_id, p_terminal_id, p_now, p_always);
    returned := fee.returned;
    returns_fee := fee.returns_fee;
    PERFORM ledger_post(p_transfer_id, p_transaction_id, 'posted', p_till, p_customer, p_amount,
                        p_currency, NULL, NULL, NULL, p_now);
END;
$$;

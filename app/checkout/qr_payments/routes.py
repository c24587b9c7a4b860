"""The app pays a merchant's QR code. Thin: schema, one service call."""
from app.auth.current import current_user, current_user_id, user_blueprint
from app.checkout.qr_payments import services
from app.checkout.qr_payments.schemas import PayBody, PaymentOut
from app.core.idempotency import from_request
from app.core.schemas import IdempotencyHeader

qr_payments_api = user_blueprint("qr_payments", __name__, "qr")


@qr_payments_api.post("/qr/payments", responses={201: PaymentOut})
def pay(body: PayBody, header: IdempotencyHeader):
    """Pay a merchant's code from one of the caller's wallets."""
    user_id = current_user_id()  # the user row is read only if the PIN or the Python path needs it
    idem = from_request(user_id, header.idempotency_key, body.model_dump(exclude={"pin"}))
    status, result = services.pay(user_id, current_user, payload=body.payload, wallet_id=body.wallet_id, amount=body.amount,
                                  pin=body.pin, idem=idem)
    return result, status

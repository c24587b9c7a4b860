"""The customer's side of a terminal's large charge: see it, approve it with the PIN, or decline it."""
from app.auth.current import current_user, current_user_id, user_blueprint
from app.checkout.confirmations import services
from app.checkout.confirmations.schemas import ConfirmBody, PaymentPath, PendingPaymentList, PendingPaymentOut
from app.core.idempotency import from_request
from app.core.schemas import ErrorEnvelope, IdempotencyHeader

confirmations_api = user_blueprint("customer_payments", __name__, "payments")


@confirmations_api.get("/payments/pending", responses={200: PendingPaymentList})
def pending_payments():
    """The caller's terminal charges waiting for their approval."""
    return {"data": services.pending_payments(current_user_id())}


@confirmations_api.post("/payments/<payment_id>/confirm", responses={200: PendingPaymentOut, 410: ErrorEnvelope})
def confirm_payment(path: PaymentPath, body: ConfirmBody, header: IdempotencyHeader):
    """Approve a terminal's charge with the payment PIN; the money moves now."""
    user = current_user()
    idem = from_request(user.id, header.idempotency_key, body.model_dump(exclude={"pin"}))
    status, result = services.confirm_payment(user, path.payment_id, body.pin, idem)
    return result, status


@confirmations_api.post("/payments/<payment_id>/decline", responses={200: PendingPaymentOut, 410: ErrorEnvelope})
def decline_payment(path: PaymentPath):
    """Refuse a terminal's charge."""
    return services.decline_payment(current_user(), path.payment_id)

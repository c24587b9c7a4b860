"""Terminal endpoints for payment requests: present a QR code, follow it, cancel it, capture it."""
from app.core.idempotency import from_request
from app.pos.payment_requests import services as payment_requests
from app.pos.auth import current_terminal, terminal_blueprint
from app.pos.payment_requests.schemas import (CaptureBody, CreatePaymentRequestBody, PaymentRequestOut,
                                             PaymentRequestPath)
from app.core.schemas import ErrorEnvelope, IdempotencyHeader
from app.pos.terminals.schemas import WaitQuery

payment_requests_api = terminal_blueprint("pos_payment_requests", __name__)


@payment_requests_api.post("/payment-requests", responses={201: PaymentRequestOut})
def create_payment_request(body: CreatePaymentRequestBody, header: IdempotencyHeader):
    """Present a dynamic QR code for the customer to pay in the app."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = payment_requests.create(terminal, amount=body.amount, currency=body.currency,
                                             reference=body.reference, capture=body.capture,
                                             expires_in=body.expires_in, idem=idem)
    return result, status


@payment_requests_api.get("/payment-requests/<request_id>", responses={200: PaymentRequestOut, 503: ErrorEnvelope})
def get_payment_request(path: PaymentRequestPath, query: WaitQuery):
    """The request's status; with `wait`, answers the moment it stops being pending (long poll).
    503 too_many_waiters (with Retry-After) when this server already holds its most long polls."""
    return payment_requests.get(current_terminal(), path.request_id, wait=query.wait)


@payment_requests_api.post("/payment-requests/<request_id>/cancel", responses={200: PaymentRequestOut})
def cancel_payment_request(path: PaymentRequestPath):
    """Cancel a pending request; the customer can no longer pay it."""
    return payment_requests.cancel(current_terminal(), path.request_id)


@payment_requests_api.post("/payment-requests/<request_id>/capture", responses={200: PaymentRequestOut})
def capture_payment_request(path: PaymentRequestPath, body: CaptureBody, header: IdempotencyHeader):
    """Manual capture: take all of the customer's hold, or `amount` of it (send `{}` for all)."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = payment_requests.capture(terminal, path.request_id, body.amount, idem)
    return result, status


@payment_requests_api.post("/payment-requests/<request_id>/void", responses={200: PaymentRequestOut})
def void_payment_request(path: PaymentRequestPath, header: IdempotencyHeader):
    """Manual capture: release the customer's whole hold."""
    terminal = current_terminal()
    status, result = payment_requests.void(terminal, path.request_id,
                                           from_request(terminal.id, header.idempotency_key, None))
    return result, status

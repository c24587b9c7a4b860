"""Vending authorizations, for terminals: hold the maximum price, capture what was dispensed, or void."""
from app.core.idempotency import from_request
from app.core.schemas import ErrorEnvelope
from app.pos.vending import services as vending
from app.pos.auth import current_terminal, terminal_blueprint
from app.core.schemas import IdempotencyHeader
from app.pos.vending.schemas import AuthorizationOut, AuthorizationPath, AuthorizeBody, CaptureBody

REFUSALS = {402: ErrorEnvelope, 409: ErrorEnvelope, 410: ErrorEnvelope, 422: ErrorEnvelope}

vending_api = terminal_blueprint("pos_vending", __name__, code_in_body=("authorize",))


@vending_api.post("/authorizations", responses={201: AuthorizationOut, 402: ErrorEnvelope, 422: ErrorEnvelope})
def authorize(body: AuthorizeBody, header: IdempotencyHeader):
    """Hold the maximum price on the wallet behind the customer's code (at most NO_PIN_AMOUNT)."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = vending.authorize(terminal, payment_code=body.payment_code, amount=body.amount,
                                       currency=body.currency, reference=body.reference, idem=idem)
    return result, status


@vending_api.post("/authorizations/<authorization_id>/capture", responses={200: AuthorizationOut, **REFUSALS})
def capture_authorization(path: AuthorizationPath, body: CaptureBody, header: IdempotencyHeader):
    """Take what was dispensed (at most the hold) and release the rest."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = vending.capture(terminal, path.authorization_id, amount=body.amount, idem=idem)
    return result, status


@vending_api.post("/authorizations/<authorization_id>/void", responses={200: AuthorizationOut, **REFUSALS})
def void_authorization(path: AuthorizationPath, header: IdempotencyHeader):
    """Release the whole hold (nothing was dispensed)."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, None)
    status, result = vending.void(terminal, path.authorization_id, idem=idem)
    return result, status


@vending_api.get("/authorizations/<authorization_id>", responses={200: AuthorizationOut})
def get_authorization(path: AuthorizationPath):
    """One of this terminal's authorizations; "expired" once its hold can no longer be captured."""
    return vending.get_authorization(current_terminal(), path.authorization_id)

"""Charges of a scanned consumer code: the terminal's endpoints (signed). Thin: schema, one
service call."""
from app.core.idempotency import from_request
from app.core.schemas import ErrorEnvelope, IdempotencyHeader
from app.pos.charges import services as charges
from app.pos.charges import refunds
from app.pos.auth import current_terminal, terminal_blueprint
from app.pos.charges.schemas import (ChargeBody, ChargeOut, ChargePath, RefundBody, RefundOut)
from app.pos.terminals.schemas import WaitQuery

charges_api = terminal_blueprint("pos_charges", __name__, code_in_body=("create_charge",))


@charges_api.post("/charges", responses={201: ChargeOut, 402: ErrorEnvelope})
def create_charge(body: ChargeBody, header: IdempotencyHeader):
    """Charge the code the customer shows. Above no_pin_amount the answer is requires_confirmation:
    follow it with GET /pos/charges/{id}?wait=N. A refusal is 402 with details.charge_id."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = charges.create_charge(terminal, payment_code=body.payment_code, amount=body.amount,
                                           currency=body.currency, reference=body.reference, idem=idem)
    return result, status


@charges_api.get("/charges/<charge_id>", responses={200: ChargeOut, 503: ErrorEnvelope})
def get_charge(path: ChargePath, query: WaitQuery):
    """The charge; with wait=N (up to 30 s), answers the moment the customer approves or declines.
    503 too_many_waiters (with Retry-After) when this server already holds its most long polls."""
    return charges.follow_charge(current_terminal(), path.charge_id, wait=query.wait)


@charges_api.post("/charges/<charge_id>/reverse", responses={200: ChargeOut, 409: ErrorEnvelope})
def reverse_charge(path: ChargePath, header: IdempotencyHeader):
    """Undo a charge whose outcome the terminal never learned (within REVERSAL_WINDOW seconds)."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, None)
    status, result = refunds.reverse_charge(terminal, path.charge_id, idem=idem)
    return result, status


@charges_api.post("/charges/<charge_id>/refunds", responses={201: RefundOut, 409: ErrorEnvelope})
def refund_charge(path: ChargePath, body: RefundBody, header: IdempotencyHeader):
    """Give back part or all of a succeeded charge; never more in total than was charged."""
    terminal = current_terminal()
    idem = from_request(terminal.id, header.idempotency_key, body.model_dump())
    status, result = refunds.refund_charge(terminal, path.charge_id, amount=body.amount, idem=idem)
    return result, status

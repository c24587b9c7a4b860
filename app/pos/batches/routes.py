"""Batches (terminals close theirs) and settlements (merchant staff read a day)."""
from app.auth.current import current_user, user_blueprint
from app.core.idempotency import from_request
from app.pos.batches import services as batches
from app.pos.auth import current_terminal, terminal_blueprint
from app.core.schemas import IdempotencyHeader
from app.pos.batches.schemas import BatchOut, SettlementOut, SettlementPath, SettlementQuery

batches_api = terminal_blueprint("pos_batches", __name__)
settlements_api = user_blueprint("pos_settlements", __name__, "terminals")


@batches_api.post("/batches/close", responses={201: BatchOut})
def close_batch(header: IdempotencyHeader):
    """Close this terminal's open batch: its sales and refunds since the last close, per currency."""
    terminal = current_terminal()
    status, result = batches.close_batch(terminal, from_request(terminal.id, header.idempotency_key, None))
    return result, status


@settlements_api.get("/merchants/<merchant_id>/settlements", responses={200: SettlementOut})
def settlement(path: SettlementPath, query: SettlementQuery):
    """Sales and refunds of all the merchant's terminals over one UTC day, and each terminal's part."""
    return batches.settlement(current_user(), path.merchant_id, query.date)

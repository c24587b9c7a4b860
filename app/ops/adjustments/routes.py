"""Adjustments: finance operators propose corrections; a different finance operator decides."""
from app.auth.operator_roles import operator_blueprint, require
from app.core.schemas import ErrorEnvelope
from app.ops.adjustments import services
from app.ops.adjustments.schemas import (AdjustmentList, AdjustmentOut, AdjustmentPath, AdjustmentQuery, DecideBody,
                                         ProposeBody)

adjustments_api = operator_blueprint("adjustments", __name__)


@adjustments_api.post("/adjustments", responses={201: AdjustmentOut})
def propose(body: ProposeBody):
    """Propose a credit or debit of a user's wallet against suspense or revenue. Finance; audited.
    Nothing moves until a different finance operator approves."""
    return services.propose(require("adjustments"), **body.model_dump()), 201


@adjustments_api.get("/adjustments", responses={200: AdjustmentList})
def list_adjustments(query: AdjustmentQuery):
    """Adjustments, newest first, by status or wallet. Any operator."""
    require("read")
    return services.list_adjustments(status=query.status, wallet_id=query.wallet_id, cursor=query.cursor,
                                     limit=query.limit)


@adjustments_api.get("/adjustments/<adjustment_id>", responses={200: AdjustmentOut})
def get_adjustment(path: AdjustmentPath):
    """One adjustment with both operators' names on it. Any operator."""
    require("read")
    return services.get_adjustment(path.adjustment_id)


@adjustments_api.post("/adjustments/<adjustment_id>/approve", responses={200: AdjustmentOut, 402: ErrorEnvelope})
def approve(path: AdjustmentPath, body: DecideBody):
    """Approve and post it, in one transaction. Finance, not the proposer (403 self_approval); a
    debit the wallet cannot cover is 402 insufficient_funds and the proposal stays pending."""
    return services.decide(require("adjustments"), path.adjustment_id, approve=True, note=body.note)


@adjustments_api.post("/adjustments/<adjustment_id>/reject", responses={200: AdjustmentOut})
def reject(path: AdjustmentPath, body: DecideBody):
    """Reject it: nothing is posted. Finance, not the proposer."""
    return services.decide(require("adjustments"), path.adjustment_id, approve=False, note=body.note)

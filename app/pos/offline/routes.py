"""Offline sales: the terminal's upload and its reconciliation; staff's limits and reconciliation."""
from app.auth.current import current_user, user_blueprint
from app.pos.auth import current_terminal, terminal_blueprint
from app.pos.offline import limits, reconcile, uploads
from app.pos.offline.schemas import (LimitsBody, LimitsOut, MerchantOfflinePath, OfflineSalesBody, OfflineSalesOut,
                                     UnreportedOut, UnreportedQuery)
from app.pos.terminals.schemas import TerminalPath

offline_api = terminal_blueprint("pos_offline", __name__)
offline_staff_api = user_blueprint("pos_offline_staff", __name__, "terminals")


@offline_api.post("/offline/sales", responses={200: OfflineSalesOut})
def upload_offline_sales(body: OfflineSalesBody):
    """Upload the sales made offline; answers per record (posted, duplicate, or refused with a
    reason), the gaps in the reported sequence and what was paid but not reported. Idempotent
    per record: send the same batch again freely."""
    return uploads.upload(current_terminal(), body.records)


@offline_api.get("/offline/unreported", responses={200: UnreportedOut})
def terminal_unreported():
    """This terminal's confirmations never reported, and its reports refused."""
    return reconcile.for_terminal(current_terminal())


@offline_staff_api.get("/merchants/<merchant_id>/offline/unreported", responses={200: UnreportedOut})
def merchant_unreported(path: MerchantOfflinePath, query: UnreportedQuery):
    """Over the merchant's terminals (or one): paid but never reported (decide on a refund), and
    reported but never confirmed (refused)."""
    return reconcile.for_merchant(current_user(), path.merchant_id, query.terminal_id)


@offline_staff_api.get("/merchants/<merchant_id>/terminals/<terminal_id>/offline-limits", responses={200: LimitsOut})
def get_offline_limits(path: TerminalPath):
    """The terminal's offline limits (its own, or the OFFLINE_* defaults)."""
    return limits.get(current_user(), path.merchant_id, path.terminal_id)


@offline_staff_api.put("/merchants/<merchant_id>/terminals/<terminal_id>/offline-limits", responses={200: LimitsOut})
def put_offline_limits(path: TerminalPath, body: LimitsBody):
    """Set the terminal's offline limits; it reads them from /pos/config before its next outage."""
    return limits.put(current_user(), path.merchant_id, path.terminal_id, body.model_dump())

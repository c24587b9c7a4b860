"""When an offline sale was made, beside when it was posted (README, "Offline terminals",
section 4: both times are kept and both shown in history and receipts).

Case 1 (the terminal offline): the terminal's clock on its code (offline_payments.sold_at; the
payment was posted when the customer paid, online). Case 3 (the purse): the phone's clock in the
token (purse_tokens.sold_at; posted at upload). A purse token's part taken from the hold shows in
the wallet's history as a row of the hold (the transfer that captured it), so a row is matched by
its transaction (the payment) or its transfer (the capture). Every other row has no time of sale
(None): it was made when it was posted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, literal, or_, select, union_all

from app.extensions import db
from app.pos.offline.models import OfflinePayment
from app.pos.purse.models import PurseToken


def sold_at_of(rows: list) -> dict[tuple[str, str], datetime]:
    """(transaction id, transfer id) -> time of sale, for the history rows (app.history.entries.ROW)
    that are offline sales; one query (both cases in a UNION ALL) for any number of rows."""
    if not rows:
        return {}
    txn_ids, transfer_ids = {r.id for r in rows}, {r.transfer_id for r in rows}
    case_1 = select(OfflinePayment.id, literal(None, String).label("capture"), OfflinePayment.sold_at) \
        .where(OfflinePayment.id.in_(txn_ids))
    case_3 = select(PurseToken.transaction_id, PurseToken.hold_transfer_id, PurseToken.sold_at) \
        .where(or_(PurseToken.transaction_id.in_(txn_ids), PurseToken.hold_transfer_id.in_(transfer_ids)))
    by_txn, by_transfer = {}, {}
    for payment, capture, sold_at in db.session.execute(union_all(case_1, case_3)):
        by_txn[payment] = sold_at
        if capture is not None:
            by_transfer[capture] = sold_at
    found = {}
    for r in rows:
        sold_at = by_transfer.get(r.transfer_id) or by_txn.get(r.id)
        if sold_at is not None:
            found[(r.id, r.transfer_id)] = sold_at
    return found


def purse_token_of(txn_id: str) -> PurseToken | None:
    """The purse token a transaction paid (a receipt of the payment; the wallet's hold rows show
    the time of sale in history, and their receipts are the hold's)."""
    return db.session.execute(select(PurseToken).where(PurseToken.transaction_id == txn_id)).scalar_one_or_none()

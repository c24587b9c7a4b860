"""Both kinds of mismatch between what the server confirmed and what terminals reported:
issued but never reported (the customer paid; the machine may not have vended: a refund
decision) and reported but never issued (refused: forged, or altered)."""
from __future__ import annotations

from sqlalchemy import func, select, text

from app.auth.models import User
from app.core import clock
from app.core.errors import not_found
from app.extensions import db
from app.merchant.services import staff_merchant
from app.pos.offline.models import OfflinePayment, OfflineReport
from app.pos.terminals.models import Terminal

PAGE = 100
_GAPS = text("SELECT seq + 1 AS first, next - 1 AS last FROM ("
             "  SELECT seq, lead(seq) OVER (ORDER BY seq) AS next FROM offline_reports WHERE terminal_id = :t) runs "
             "WHERE next > seq + 1 ORDER BY seq LIMIT 50")


def gaps_of(terminal_id: str) -> list[list[int]]:
    """Runs of sequence numbers never reported between the lowest and highest reported (at most 50)."""
    return [[row.first, row.last] for row in db.session.execute(_GAPS, {"t": terminal_id})]


def summary(terminal_id: str) -> dict:
    """For a batch close: so a sale confirmed offline and never uploaded cannot vanish silently."""
    unreported = db.session.execute(select(func.count()).where(OfflinePayment.terminal_id == terminal_id,
                                                               OfflinePayment.reported_at.is_(None))).scalar_one()
    return {"unreported": unreported, "gaps": gaps_of(terminal_id)}


def unreported_payments(terminal_ids: list[str]) -> tuple[list[dict], bool]:
    rows = db.session.execute(
        select(OfflinePayment).where(OfflinePayment.terminal_id.in_(terminal_ids), OfflinePayment.reported_at.is_(None))
        .order_by(OfflinePayment.paid_at, OfflinePayment.id).limit(PAGE + 1)).scalars().all()
    return [{"terminal_id": p.terminal_id, "seq": p.seq, "payment_id": p.id, "amount": p.amount,
             "currency": p.currency, "sold_at": clock.iso(p.sold_at), "paid_at": clock.iso(p.paid_at)}
            for p in rows[:PAGE]], len(rows) > PAGE


def refused_reports(terminal_ids: list[str]) -> tuple[list[dict], bool]:
    rows = db.session.execute(
        select(OfflineReport).where(OfflineReport.terminal_id.in_(terminal_ids), OfflineReport.status == "refused")
        .order_by(OfflineReport.received_at, OfflineReport.id).limit(PAGE + 1)).scalars().all()
    return [{"terminal_id": r.terminal_id, "seq": r.seq, "reason": r.reason, "amount": r.amount,
             "currency": r.currency, "sold_at": clock.iso(r.sold_at), "received_at": clock.iso(r.received_at)}
            for r in rows[:PAGE]], len(rows) > PAGE


def _both(terminal_ids: list[str]) -> dict:
    issued, more_issued = unreported_payments(terminal_ids)
    reported, more_reported = refused_reports(terminal_ids)
    return {"issued_not_reported": issued, "reported_not_issued": reported, "has_more": more_issued or more_reported}


def for_terminal(terminal: Terminal) -> dict:
    return _both([terminal.id])


def for_merchant(user: User, merchant_id: str, terminal_id: str | None) -> dict:
    merchant = staff_merchant(user, merchant_id, may="read")
    query = select(Terminal.id).where(Terminal.merchant_id == merchant.id)
    if terminal_id is not None:
        query = query.where(Terminal.id == terminal_id)
    ids = list(db.session.execute(query).scalars())
    if terminal_id is not None and not ids:
        raise not_found("terminal")
    return _both(ids)

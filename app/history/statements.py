"""Monthly statements of a wallet, from its ledger entries.

Posted money only: a hold's pending entry shows an amount but does not change the balance
(balance_after is the posted balance), so it is left out, and then
opening + sum(in) - sum(out) == closing holds for every month.
"""
from __future__ import annotations

from sqlalchemy import case, func, select

from app.auth.models import User
from app.extensions import db
from app.history.filters import month_bounds
from app.wallet.models import Entry, Transaction, Transfer
from app.wallet.services import owned_wallet

POSTED_KINDS = ("posted", "post_pending")  # void_pending posts nothing (its entry amount is 0)


def wallet_statement(user: User, wallet_id: str, month: str) -> dict:
    start, end = month_bounds(month)  # a bad month is a 422 before anything is read
    wallet = owned_wallet(user, wallet_id)
    opening = _balance_before(wallet.id, start)
    closing = _balance_before(wallet.id, end, since=start)
    inflow = func.sum(case((Entry.amount > 0, Entry.amount), else_=0))
    outflow = func.sum(case((Entry.amount < 0, -Entry.amount), else_=0))
    rows = db.session.execute(
        select(Transaction.type, inflow, outflow, func.count())
        .select_from(Entry).join(Transaction, Transaction.id == Entry.transaction_id)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .where(Entry.account_id == wallet.id, Entry.created_at >= start, Entry.created_at < end,
               Transfer.kind.in_(POSTED_KINDS))
        .group_by(Transaction.type).order_by(Transaction.type)).all()
    return {"month": month, "currency": wallet.currency, "opening_balance": opening,
            "closing_balance": opening if closing is None else closing,
            "totals": {type_: {"in": int(in_ or 0), "out": int(out or 0)} for type_, in_, out, _ in rows},
            "count": sum(count for *_, count in rows)}


def _balance_before(account_id: str, moment, since=None) -> int | None:
    """balance_after of the account's last entry before `moment` (0 before its first one); with
    `since`, only entries from then on count (None when there are none)."""
    stmt = select(Entry.balance_after).where(Entry.account_id == account_id, Entry.created_at < moment)
    if since is not None:
        stmt = stmt.where(Entry.created_at >= since)
    found = db.session.execute(stmt.order_by(Entry.seq.desc()).limit(1)).scalar_one_or_none()
    return found if found is not None or since is not None else 0

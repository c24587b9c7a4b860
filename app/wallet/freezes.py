"""Reading freezes: which of a user's wallets a freeze covers now. The posting checks them itself
(app/wallet/sql/freezes.sql); app/ops/freezes sets and lifts them. Here so that the wallet's own
views (GET /wallets) can show them without importing a higher floor."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from app.core import clock
from app.extensions import db
from app.wallet.models import Freeze


def applying(now: datetime):
    """The condition of a freeze that applies at `now`: not lifted by then, not past its end (as
    app/wallet/sql/freezes.sql compares them with a posting's time)."""
    return or_(Freeze.lifted_at.is_(None), Freeze.lifted_at > now) & or_(Freeze.ends_at.is_(None), Freeze.ends_at > now)


def active_freezes(user_id: str) -> list[Freeze]:
    """The user's freezes that apply now (one lookup on ix_freezes_user)."""
    return list(db.session.execute(select(Freeze).where(Freeze.user_id == user_id, applying(clock.now()))
                                   .order_by(Freeze.created_at, Freeze.id)).scalars())


def frozen_state(freezes: list[Freeze], wallet_id: str | None) -> dict | None:
    """What GET /wallets shows of the freezes covering one wallet (wallet_id None: those of the
    user as a whole): the strongest scope ('all' over 'debits') and when it ends (null: until
    lifted), or None when nothing covers it."""
    covering = [f for f in freezes if f.wallet_id is None or f.wallet_id == wallet_id]
    if not covering:
        return None
    scope = "all" if any(f.scope == "all" for f in covering) else "debits"
    strongest = [f for f in covering if f.scope == scope]
    ends = None if any(f.ends_at is None for f in strongest) else max(clock.as_utc(f.ends_at) for f in strongest)
    return {"scope": scope, "ends_at": clock.iso(ends) if ends else None}

"""What a user may still move: their tier's limits and, per wallet, what is used and left of
the day's and the month's outgoing totals (GET /api/v1/me/limits). The checks themselves are in
the posting (ledger_move, app/wallet/sql/limits.sql says what they do); this module only reads
the totals they keep on the wallet's accounts row."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.auth.models import TIER_LIMITS, Tier, User
from app.core import clock
from app.core.uow import end_read
from app.extensions import db
from app.wallet import limit_rules
from app.wallet.models import Account


def seed_tiers(connection, tiers: dict[str, dict[str, int]]) -> None:
    """Tiers from configuration (TIERS), where missing: a fresh database, or tests after TRUNCATE.
    An existing tier keeps what an admin set."""
    connection.execute(insert(Tier).values([{"name": name, **{k: limits[k] for k in TIER_LIMITS}}
                                            for name, limits in tiers.items()]).on_conflict_do_nothing())


def tier_out(tier: Tier) -> dict:
    return {"name": tier.name, **{limit: getattr(tier, limit) for limit in TIER_LIMITS}}


def my_limits(user: User) -> dict:
    now = clock.now()
    tier = db.session.get(Tier, user.tier)
    wallets = db.session.execute(select(Account).filter_by(user_id=user.id, kind="user")
                                 .order_by(Account.created_at, Account.id)).scalars().all()
    end_read()
    out = []
    for wallet in wallets:
        figures = {"wallet_id": wallet.id, "currency": wallet.currency,
                   "balance_left": max(tier.max_balance - (wallet.credits_posted - wallet.debits_posted), 0)}
        for period, limit, start, used in (("day", tier.daily_out, wallet.day_start, wallet.day_used),
                                           ("month", tier.monthly_out, wallet.month_start, wallet.month_used)):
            used = limit_rules.used_now(period, start, used, now)
            figures[period] = {"limit": limit, "used": used, "left": max(limit - used, 0),
                               "resets_at": clock.iso(limit_rules.resets_at(period, now))}
        out.append(figures)
    return {"tier": tier_out(tier), "wallets": out}

"""Tier changes by operators. Each is one unit of work with its audit record; the posting reads
users.tier and tiers in the payment's own transaction, so a change holds from the next payment."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import TIER_LIMITS, Tier, User
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.uow import unit_of_work
from app.extensions import db
from app.wallet.limits import tier_out


def list_tiers() -> list[dict]:
    return [tier_out(t) for t in db.session.execute(select(Tier).order_by(Tier.name)).scalars()]


def set_user_tier(operator_id: str, user_id: str, *, tier: str, reason: str) -> dict:
    with unit_of_work() as uow:
        user = db.session.execute(select(User).filter_by(id=user_id).with_for_update()).scalar_one_or_none()
        if user is None:
            raise not_found("user")
        if db.session.get(Tier, tier) is None:
            raise AppError(Code.VALIDATION_ERROR, f"no tier named {tier!r}",
                           {"fields": [{"field": "tier", "message": "no such tier"}]})
        before = user.tier
        user.tier = tier
        audit.record("operator", operator_id, "user.tier", "user", user.id,
                     before={"tier": before}, after={"tier": tier}, reason=reason)
        uow.commit()
        return {"user_id": user.id, "tier": tier}


def set_tier_limits(operator_id: str, name: str, *, reason: str, **limits: int) -> dict:
    """Create or change a tier. The row is locked so two admins' changes are recorded in the
    order they were made, each `before` being what the other left."""
    with unit_of_work() as uow:
        tier = db.session.execute(select(Tier).filter_by(name=name).with_for_update()).scalar_one_or_none()
        before = tier_out(tier) if tier else None
        if tier is None:
            tier = Tier(name=name, **limits, updated_at=clock.now())
            db.session.add(tier)
        else:
            for limit in TIER_LIMITS:
                setattr(tier, limit, limits[limit])
            tier.updated_at = clock.now()
        audit.record("operator", operator_id, "tier.limits", "tier", name, before=before, after=tier_out(tier),
                     reason=reason)
        uow.commit()
        return tier_out(tier)

"""Tiers and users' tiers. Reading: any operator; changing: admins (the right `configuration`)."""
from app.auth.operator_roles import operator_blueprint, require
from app.ops.tiers import services
from app.ops.tiers.schemas import SetTierBody, TierBody, TierList, TierPath, UserPath, UserTierOut
from app.wallet.schemas import TierOut

tiers_api = operator_blueprint("tiers", __name__)


@tiers_api.get("/tiers", responses={200: TierList})
def list_tiers():
    """Every tier and its limits. Any operator."""
    require("read")
    return {"data": services.list_tiers()}


@tiers_api.put("/tiers/<name>", responses={200: TierOut})
def set_tier_limits(path: TierPath, body: TierBody):
    """Create a tier or change its limits (non-negative integers, minor units). Admins; audited.
    The next payment of every user of the tier is checked against the new numbers."""
    return services.set_tier_limits(require("configuration"), path.name, **body.model_dump())


@tiers_api.put("/users/<user_id>/tier", responses={200: UserTierOut})
def set_user_tier(path: UserPath, body: SetTierBody):
    """Move a user to another tier (verified after the identity check). Admins; audited."""
    return services.set_user_tier(require("configuration"), path.user_id, **body.model_dump())

"""Request and response models of tiers."""
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from app.core.fields import NO_CONTROLS
from app.core.schemas import Strict
from app.wallet.schemas import TierOut

# A limit: a whole, non-negative number of minor units (0 closes the door). A float, even 5.0,
# a string or a negative is 422, as for every amount.
Limit = Annotated[StrictInt, Field(ge=0, le=10**15, description="integer minor units")]


class UserPath(BaseModel):
    user_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class TierPath(BaseModel):
    name: str = Field(max_length=24, pattern=r"^[a-z][a-z0-9_]*$")


class SetTierBody(Strict):
    tier: str = Field(max_length=24, pattern=r"^[a-z][a-z0-9_]*$", description="an existing tier's name")
    reason: str = Field(min_length=3, max_length=280, pattern=NO_CONTROLS,
                        description="why (the identity check done, the case number); kept on the record")


class TierBody(Strict):
    max_payment: Limit
    daily_out: Limit
    monthly_out: Limit
    max_balance: Limit
    max_topup: Limit
    offline_allowance: Limit
    reason: str = Field(min_length=3, max_length=280, pattern=NO_CONTROLS)


class UserTierOut(BaseModel):
    user_id: str
    tier: str


class TierList(BaseModel):
    data: list[TierOut]

"""Request and response models of the fee configuration."""
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.core.fields import NO_CONTROLS
from app.core.schemas import Strict

# Basis points (1/100 of a percent): 0..10000. Whole numbers only: 2.5 or "250" is 422, as is a
# negative; so is a float that happens to be whole (5.0), as for every amount.
Rate = Annotated[StrictInt, Field(ge=0, le=10_000, description="basis points of the amount (150 = 1.5%)")]
MinFee = Annotated[StrictInt, Field(ge=0, le=10**12, description="integer minor units")]
Reason = Annotated[str, Field(min_length=3, max_length=280, pattern=NO_CONTROLS,
                              description="why (the contract, the case number); kept on the record")]


class MerchantPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class MerchantFeesBody(Strict):
    rate_bps: Rate
    min_fee: MinFee = 0
    refund_returns_fee: StrictBool | None = Field(
        None, description="whether a refund gives the fee back; null follows the global setting")
    reason: Reason | None = None


class MerchantFeesOut(BaseModel):
    merchant_id: str
    rate_bps: int
    min_fee: int
    refund_returns_fee: bool | None


class FeeSettingsBody(Strict):
    topup_rate_bps: Rate = 0
    topup_min_fee: MinFee = 0
    p2p_rate_bps: Rate = 0
    p2p_min_fee: MinFee = 0
    refund_returns_fee: StrictBool = False
    reason: Reason | None = None


class FeeSettingsOut(BaseModel):
    topup_rate_bps: int
    topup_min_fee: int
    p2p_rate_bps: int
    p2p_min_fee: int
    refund_returns_fee: bool

"""Request and response models of the merchant API."""
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.core.fields import CurrencyCode, NO_CONTROLS



class CreateMerchantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=NO_CONTROLS)
    city: str = Field(min_length=1, max_length=60, pattern=NO_CONTROLS)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    mcc: str = Field(pattern=r"^[0-9]{4}$", description="merchant category code (ISO 18245)")
    currency: CurrencyCode
    owner: str = Field(min_length=3, max_length=254, pattern=NO_CONTROLS,
                       description="phone or e-mail of an existing user")
    language: str = Field("en", pattern=r"^[a-z]{2}$", description="ISO 639-1, for the QR alternate-language field")


class MerchantPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class MerchantOut(BaseModel):
    id: str
    name: str
    city: str
    country: str
    mcc: str
    currency: str
    status: str
    created_at: str


class MyMerchantOut(MerchantOut):
    role: str = Field(description="the caller's role there: owner, manager or cashier (app/merchant/roles.py)")


class MerchantList(BaseModel):
    data: list[MyMerchantOut]


# A merchant's limit: whole minor units of its currency (a float, a string or a negative is 422);
# null or left out: no limit.
MerchantLimit = Annotated[StrictInt, Field(ge=0, le=10**15, description="integer minor units")]


class MerchantLimitsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_charge: MerchantLimit | None = Field(None, description="the largest single charge (terminal, vending, "
                                                                "QR); null: none")
    daily_refunds: MerchantLimit | None = Field(None, description="the refunds' total per UTC day; null: none")


class RefundsToday(BaseModel):
    used: int
    left: int | None = Field(description="null when there is no daily limit")
    resets_at: str


class MerchantLimitsOut(BaseModel):
    merchant_id: str
    currency: str
    max_charge: int | None
    daily_refunds: int | None
    refunds_today: RefundsToday

"""Request and response models of the merchant API."""
from pydantic import BaseModel, ConfigDict, Field

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

"""Request and response models of the QR API."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.schemas import RequestParams, Strict


class CreateQrBody(Strict):
    kind: Literal["static", "dynamic"]
    currency: CurrencyCode
    amount: Amount | None = Field(None, description="dynamic codes only")
    reference: str | None = Field(None, min_length=1, max_length=25, pattern=r"^[\x20-\x7e]+$",
                                  description="printable ASCII, up to 25 characters (EMV 62/05)")
    expires_in: int | None = Field(None, ge=5, le=86400, description="seconds, dynamic codes only; default 300")


class MerchantQrPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    qr_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class MerchantPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class ImagePath(BaseModel):
    qr_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class ImageQuery(RequestParams):
    size: int = Field(10, ge=1, le=20, description="pixels per module (drawing is pure Python: kept modest)")
    border: int = Field(4, ge=0, le=16, description="quiet zone, in modules")


class DecodeBody(Strict):
    payload: str = Field(min_length=1, max_length=512, pattern=NO_CONTROLS)


class QrOut(BaseModel):
    id: str
    kind: str
    payload: str
    amount: int | None
    currency: str
    reference: str | None
    terminal_label: str | None
    expires_at: str | None
    status: str
    paid_transaction_id: str | None
    created_at: str


class DecodedMerchant(BaseModel):
    name: str | None
    city: str | None
    country: str | None
    mcc: str | None


class DecodeOut(BaseModel):
    scheme: str
    kind: str
    merchant: DecodedMerchant
    amount: int | None
    currency: str | None
    reference: str | None
    payable: bool
    reason: str | None
    fields: dict[str, str | dict[str, str]] = Field(
        description="every field by tag, in payload order: a template (26-51, 62, 64, 80-99) is an object of "
                    "sub-tag -> value, other tags a string; a template tag in 26-51 or 80-99 whose value is "
                    "not sub-fields (some banks print a plain value there) is a string too, listed in "
                    "opaque_fields")
    opaque_fields: list[str] = Field(description="template tags kept as one plain string, in payload order")

"""Request and response models of the terminal-presented payment requests."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.schemas import Strict



class CreatePaymentRequestBody(Strict):
    amount: Amount
    currency: CurrencyCode
    reference: str = Field(min_length=1, max_length=25, pattern=r"^[\x20-\x7e]+$",
                           description="printable ASCII, up to 25 characters (EMV 62/05)")
    capture: Literal["automatic", "manual"] = Field(
        "automatic", description="manual: the customer's payment is a hold the terminal captures or voids")
    expires_in: int | None = Field(None, ge=5, le=86400, description="seconds; default QR_DEFAULT_EXPIRES_IN (300)")


class PaymentRequestPath(BaseModel):
    request_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class CaptureBody(Strict):
    # Named apart from vending's CaptureBody, whose amount is required and which overwrote this
    # one in the document (the document keys schemas by name).
    model_config = ConfigDict(title="PaymentRequestCaptureBody")

    amount: Amount | None = Field(None, description="at most the held amount; all of it when left out")


class PaymentRequestOut(BaseModel):
    id: str
    status: Literal["pending", "succeeded", "expired", "canceled", "authorized", "captured", "voided"]
    amount: int
    currency: str
    reference: str | None
    payload: str = Field(description="the EMV code to show as a QR code")
    capture: Literal["automatic", "manual"]
    expires_at: str
    transaction_id: str | None = Field(description="the payment (or, for a manual capture, the hold)")
    qr_image_url: str = Field(description="a PNG of the payload, on this server")
    created_at: str

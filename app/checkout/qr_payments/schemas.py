"""Request and response models of paying a merchant's QR code from the app."""

from pydantic import BaseModel, Field

from app.core.fields import Amount, NO_CONTROLS, Pin
from app.core.schemas import Strict


class PayBody(Strict):
    payload: str = Field(min_length=1, max_length=512, pattern=NO_CONTROLS)
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    amount: Amount | None = Field(None, description="static codes only: the amount the payer typed")
    pin: Pin | None = None


class PaymentMerchant(BaseModel):
    id: str
    name: str
    city: str


class PaymentOut(BaseModel):
    id: str
    status: str
    amount: int
    currency: str
    merchant: PaymentMerchant
    reference: str | None
    qr_code_id: str
    wallet_id: str
    created_at: str

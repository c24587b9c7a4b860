"""Request and response models of a customer approving a terminal's charge."""
from pydantic import BaseModel, Field

from app.core.fields import Pin, NO_CONTROLS
from app.core.schemas import Strict


class PaymentPath(BaseModel):
    payment_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class ConfirmBody(Strict):
    pin: Pin


class PendingPaymentOut(BaseModel):
    id: str
    status: str
    amount: int
    currency: str
    reference: str | None
    wallet_id: str | None
    merchant_name: str
    terminal_label: str
    created_at: str
    expires_at: str | None
    transaction_id: str | None


class PendingPaymentList(BaseModel):
    data: list[PendingPaymentOut]

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


class OfflineConfirmation(BaseModel):
    """For a code a terminal made offline: what the terminal checks without the network."""
    terminal_id: str
    sequence: int
    sold_at: str = Field(description="when the terminal made the code (its clock)")
    confirmation_code: str = Field(description="10 digits to type on the terminal's keypad")
    confirmation_payload: str = Field(description="the same for its scanner: WCF1:<terminal>:<seq>:<digits>:<payment>")


class PaymentOut(BaseModel):
    id: str
    status: str
    amount: int
    currency: str
    merchant: PaymentMerchant
    reference: str | None
    qr_code_id: str | None = Field(description="the stored code paid; null for a code a terminal made offline")
    wallet_id: str
    fee: int = Field(0, description="the merchant's fee on this payment (the merchant pays it, not the payer); "
                                    "0 for a hold until it is captured")
    created_at: str
    offline: OfflineConfirmation | None = Field(None, description="only for a code a terminal made offline")

"""Request and response models of charges (a terminal scans the customer's code), the
customer's confirmation of large ones, reversals and refunds."""
from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.schemas import Strict


class ChargeBody(Strict):
    payment_code: str = Field(min_length=1, max_length=64, description="the 18 digits the customer's app shows")
    amount: Amount
    currency: CurrencyCode
    reference: str | None = Field(None, max_length=64, description="the till's own reference (receipt number)")


class ChargePath(BaseModel):
    charge_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class RefundBody(Strict):
    amount: Amount


class ChargeOut(BaseModel):
    id: str
    status: str = Field(description="succeeded | requires_confirmation | failed | declined | expired | reversed")
    amount: int
    currency: str
    reference: str | None
    wallet_owner_display: str | None = Field(description="first name and initial, e.g. \"Alice D.\"")
    created_at: str
    transaction_id: str | None
    expires_at: str | None = Field(description="until when the customer may confirm (requires_confirmation)")
    refunded_amount: int
    failure_code: str | None


class RefundOut(BaseModel):
    # Named apart from the order refund's RefundOut: the document keys schemas by name, and one
    # RefundOut overwrote the other (charge refunds were declared with order_id and order_status).
    model_config = ConfigDict(title="ChargeRefundOut")

    id: str = Field(description="the refund's transaction id")
    charge_id: str
    amount: int
    currency: str
    status: str
    created_at: str
    refunded_total: int
    remaining: int
    fee_returned: int = Field(0, description="what this refund gave back of the merchant's fee on the payment "
                                             "(a fee_return ledger line, revenue -> merchant)")
    returns_fee: bool = Field(False, description="whether the merchant's setting (or the global one) returns fees")

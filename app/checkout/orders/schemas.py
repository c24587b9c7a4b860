"""Request and response models of online orders (the merchant's server, with an API key)."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.pagination import PageQuery
from app.core.schemas import Strict


OrderStatus = Literal["pending", "paid", "expired", "canceled", "refunded", "partially_refunded"]


class CreateOrderBody(Strict):
    amount: Amount
    currency: CurrencyCode
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[\x20-\x7e]+$",
                           description="the shop's order number: printable ASCII, unique per merchant")
    description: str | None = Field(None, min_length=1, max_length=280, pattern=NO_CONTROLS)
    expires_in: int | None = Field(None, ge=5, le=86400, description="seconds; default QR_DEFAULT_EXPIRES_IN (300)")


class OrderPath(BaseModel):
    order_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class OrderListQuery(PageQuery):
    status: OrderStatus | None = Field(None, description="only orders in this status")


class OrderOut(BaseModel):
    id: str
    status: OrderStatus = Field(description="expired is read from expires_at: no job has to run first")
    amount: int
    currency: str
    reference: str
    description: str | None
    payload: str = Field(description="the dynamic EMV code to show as a QR code")
    deep_link: str = Field(description="opens the wallet app on a phone with this payload")
    qr_image_url: str
    transaction_id: str | None = Field(description="the customer's payment, once paid")
    refunded_amount: int
    expires_at: str
    created_at: str
    updated_at: str


class OrderList(BaseModel):
    data: list[OrderOut]
    has_more: bool
    next_cursor: str | None


class RefundBody(Strict):
    amount: Amount


class RefundOut(BaseModel):
    model_config = ConfigDict(title="OrderRefundOut")  # not the charge refund's RefundOut (one name, one schema)

    id: str = Field(description="the refund transaction")
    order_id: str
    payment_id: str = Field(description="the payment it gives money back for")
    amount: int
    currency: str
    status: str
    order_status: OrderStatus
    refunded_amount: int = Field(description="refunded so far, this refund included")
    remaining: int
    fee_returned: int = Field(0, description="what this refund gave back of the merchant's fee on the payment "
                                             "(a fee_return ledger line, revenue -> merchant)")
    returns_fee: bool = Field(False, description="whether the merchant's setting (or the global one) returns fees")
    created_at: str

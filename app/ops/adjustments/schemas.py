"""Request and response models of adjustments."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.pagination import PageQuery
from app.core.schemas import Strict


class ProposeBody(Strict):
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS, description="the user's wallet to correct")
    direction: Literal["credit", "debit"] = Field(description="credit: money into the wallet; debit: out of it")
    counter: Literal["suspense", "revenue"] = Field(
        "suspense", description="the system account on the other side (suspense for corrections, revenue for "
                                "goodwill credits or charges)")
    amount: Amount
    currency: CurrencyCode = Field(description="must be the wallet's currency")
    reason: str = Field(min_length=3, max_length=280, pattern=NO_CONTROLS, description="why; kept on the record")
    reference: str = Field(min_length=1, max_length=140, pattern=NO_CONTROLS,
                           description="a ticket or case number; shown in the user's history")


class DecideBody(Strict):
    note: str | None = Field(None, max_length=280, pattern=NO_CONTROLS, description="why approved or rejected")


class AdjustmentPath(BaseModel):
    adjustment_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class AdjustmentQuery(PageQuery):
    status: Literal["pending", "approved", "rejected"] | None = None
    wallet_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS)


class AdjustmentOut(BaseModel):
    id: str
    wallet_id: str
    user_id: str
    direction: Literal["credit", "debit"]
    counter: Literal["suspense", "revenue"]
    amount: int
    currency: str
    reason: str
    reference: str
    status: Literal["pending", "approved", "rejected"]
    proposed_by: str = Field(description="the operator who proposed it")
    decided_by: str | None = Field(description="the different operator who approved or rejected it")
    decision_note: str | None
    transaction_id: str | None = Field(description="the posted transaction, once approved")
    created_at: str
    decided_at: str | None


class AdjustmentList(BaseModel):
    data: list[AdjustmentOut]
    has_more: bool
    next_cursor: str | None

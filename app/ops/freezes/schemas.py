"""Request and response models of freezes (operators' and users' own)."""
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from app.core.fields import NO_CONTROLS, Pin
from app.core.pagination import PageQuery
from app.core.schemas import Strict

Scope = Literal["all", "debits"]
SCOPE = "all: nothing moves in or out; debits: money may still come in (refunds, transfers, top-ups)"


class OperatorFreezeBody(Strict):
    user_id: str = Field(max_length=40, pattern=NO_CONTROLS, description="whose wallets")
    wallet_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS,
                                  description="one of the user's wallets; null: every wallet of the user")
    scope: Scope = Field(description=SCOPE)
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROLS, description="why; kept on the record")
    ends_at: AwareDatetime | None = Field(None, description="ISO 8601 with zone; the freeze stops by itself then. "
                                                            "null: until lifted")


class MyFreezeBody(Strict):
    wallet_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS,
                                  description="one of your wallets; null: all of them")
    scope: Scope = Field(description=SCOPE)
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROLS, description="e.g. lost phone")


class OperatorLiftBody(Strict):
    reason: str = Field(min_length=1, max_length=500, pattern=NO_CONTROLS, description="why; kept on the record")


class MyLiftBody(Strict):
    pin: Pin


class FreezePath(BaseModel):
    freeze_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class MyFreezeQuery(PageQuery):
    active: bool | None = Field(None, description="true: applying now; false: lifted or past their end")


class FreezeQuery(MyFreezeQuery):
    user_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS)


class FreezeOut(BaseModel):
    id: str
    user_id: str
    wallet_id: str | None = Field(description="null: every wallet of the user")
    scope: Scope
    reason: str
    ends_at: str | None
    set_by: Literal["operator", "user"] = Field(description="an operator's freeze can only be lifted by an operator")
    created_at: str
    lifted_at: str | None
    lift_reason: str | None


class FreezeList(BaseModel):
    data: list[FreezeOut]
    has_more: bool
    next_cursor: str | None

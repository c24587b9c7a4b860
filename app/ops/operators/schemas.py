"""Request and response models of operator role management."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import Strict

OperatorRoleName = Literal["support", "finance", "admin"]


class GrantBody(Strict):
    identifier: str = Field(min_length=3, max_length=254, pattern=NO_CONTROLS,
                            description="phone or e-mail of an existing, verified user")
    role: OperatorRoleName
    reason: str | None = Field(None, max_length=280, pattern=NO_CONTROLS)


class RolePath(BaseModel):
    user_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    role: OperatorRoleName


class OperatorOut(BaseModel):
    user_id: str
    name: str
    email: str | None
    phone: str | None
    roles: list[OperatorRoleName]


class OperatorList(BaseModel):
    data: list[OperatorOut]

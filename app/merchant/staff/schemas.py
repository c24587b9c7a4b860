"""Request and response models of merchant staff management."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import NO_CONTROLS

Role = Literal["owner", "manager", "cashier"]


class StaffPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    staff_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class AddStaffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(min_length=3, max_length=254, pattern=NO_CONTROLS,
                            description="phone or e-mail of an existing, verified user")
    role: Role


class ChangeRoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class StaffOut(BaseModel):
    id: str
    user_id: str
    name: str | None
    role: Role
    created_at: str


class StaffList(BaseModel):
    data: list[StaffOut]

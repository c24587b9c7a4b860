"""Request and response models shared by the terminal endpoints."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import RequestParams, Strict


class RegisterTerminalBody(Strict):
    kind: Literal["pos", "vending"]
    label: str = Field(min_length=1, max_length=25, pattern=r"^[\x20-\x7e]+$",
                       description="printable ASCII; shown in the QR codes it presents (EMV 62/07)")


class MerchantTerminalsPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class TerminalPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    terminal_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class TerminalOut(BaseModel):
    id: str
    merchant_id: str
    kind: str
    label: str
    status: str
    created_at: str
    secret_rotated_at: str
    secret: str | None = Field(None, description="only when it is made: on registration and rotation")


class TerminalList(BaseModel):
    data: list[TerminalOut]


class TerminalConfig(BaseModel):
    terminal_id: str
    merchant_id: str
    kind: str
    label: str
    currency: str
    no_pin_amount: int
    hold_expires_in: int
    confirmation_expires_in: int
    max_clock_skew: int
    server_time: int


class WaitQuery(RequestParams):
    wait: float = Field(0, ge=0, le=30, description="seconds to wait for a final status (long poll)")

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


class OfflineLimitsValues(BaseModel):
    max_sale: int = Field(description="the largest single offline sale, minor units")
    max_total: int = Field(description="the most an outage's stored sales may add up to, minor units")
    max_count: int = Field(description="the most sales stored in one outage")
    max_hours: int = Field(description="hours offline after which the terminal stops selling")
    custom: bool = Field(description="false: the OFFLINE_* defaults")


class IssuerKey(BaseModel):
    kid: str
    public_key: str = Field(description="Ed25519, raw 32 bytes, base64url")


class PurseSection(BaseModel):
    """For offline purses (case 3): check certificates with these keys; refuse these purses."""
    issuer_keys: list[IssuerKey] = Field(description="every key a valid certificate may be signed with")
    revoked: list[str] = Field(description="purses closed or frozen and not yet expired (newest first, at most 200)")


class OfflineSection(BaseModel):
    """What a terminal keeps before it goes offline (README, "Offline terminals")."""
    guid: str
    merchant_name: str = Field(description="EMV tag 59, as the terminal writes it")
    merchant_city: str = Field(description="EMV tag 60")
    country: str
    mcc: str
    currency: str
    currency_numeric: str = Field(description="EMV tag 53")
    exponent: int
    code_ttl: int = Field(description="seconds a code made offline can be paid")
    confirmation_digits: int
    max_confirmation_attempts: int = Field(description="wrong confirmations per code before the code is void")
    limits: OfflineLimitsValues
    purse: PurseSection


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
    offline: OfflineSection


class WaitQuery(RequestParams):
    wait: float = Field(0, ge=0, le=30, description="seconds to wait for a final status (long poll)")

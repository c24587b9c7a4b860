"""Request and response models of vending authorizations, batches and settlements."""
import datetime as dt

from pydantic import BaseModel, Field

from app.core.schemas import RequestParams
from app.core.fields import Amount, CurrencyCode
from app.pos.schemas import Strict


class AuthorizeBody(Strict):
    # Not checked for shape here: every code the terminal scanned goes to the resolver, so a
    # terminal sending junk is counted towards its lock-out like one guessing digits.
    payment_code: str = Field(min_length=1, max_length=64, description="the code the customer shows (18 digits)")
    amount: Amount = Field(description="the maximum price; at most NO_PIN_AMOUNT (a machine cannot take a PIN)")
    currency: CurrencyCode | None = Field(None, description="the merchant's currency (the default)")
    reference: str | None = Field(None, max_length=64, pattern=r"^[\x20-\x7e]+$")


class CaptureBody(Strict):
    amount: Amount = Field(description="what was dispensed; at most the held amount, the rest is released")


class AuthorizationPath(BaseModel):
    authorization_id: str = Field(max_length=40)


class AuthorizationOut(BaseModel):
    id: str
    status: str = Field(description="authorized | captured | voided | expired | failed")
    amount: int = Field(description="the amount held")
    currency: str
    captured_amount: int
    expires_at: str | None
    reference: str | None
    failure_code: str | None = Field(None, description="why a failed authorization was refused")
    created_at: str


class Totals(BaseModel):
    sales: int
    refunds: int
    net: int


class BatchOut(BaseModel):
    id: str
    terminal_id: str
    opened_at: str
    closed_at: str
    count: int = Field(description="sales and refunds in the batch")
    totals: dict[str, Totals] = Field(description="per currency")


class SettlementPath(BaseModel):
    merchant_id: str = Field(max_length=40)


class SettlementQuery(RequestParams):
    date: dt.date | None = Field(None, description="the UTC day, YYYY-MM-DD (default: today)")


class TerminalSettlement(BaseModel):
    terminal_id: str
    label: str
    count: int
    totals: dict[str, Totals]


class SettlementOut(BaseModel):
    merchant_id: str
    date: str
    opened_at: str
    closed_at: str
    count: int
    totals: dict[str, Totals]
    terminals: list[TerminalSettlement]

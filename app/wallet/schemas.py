"""Request and response models of the wallet API; they are also its OpenAPI document."""
from __future__ import annotations


from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import Amount, CurrencyCode, Pin, NO_CONTROLS
from app.core.schemas import Strict


class WalletPath(BaseModel):
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class OpenWalletBody(Strict):
    currency: CurrencyCode


class TopupBody(Strict):
    amount: Amount
    source: str = Field(min_length=1, max_length=100, description="funding token, e.g. tok_visa in the sandbox")


class TransferBody(Strict):
    to: str = Field(min_length=3, max_length=254, description="phone (E.164), e-mail or wallet id")
    amount: Amount
    currency: CurrencyCode
    note: str | None = Field(None, max_length=280)
    pin: Pin | None = None


class FrozenOut(BaseModel):
    scope: Literal["all", "debits"] = Field(description="all: nothing moves; debits: money may still come in")
    ends_at: str | None = Field(description="when the freeze stops by itself; null: until lifted")


class WalletOut(BaseModel):
    id: str
    currency: str
    balance: int
    available: int
    held: int
    status: str
    frozen: FrozenOut | None = Field(None, description="the freeze covering this wallet now, if any")
    created_at: str


class WalletList(BaseModel):
    data: list[WalletOut]


class TopupOut(BaseModel):
    id: str
    status: str
    amount: int
    currency: str
    wallet_id: str
    fee: int = Field(0, description="the top-up fee, deducted from the wallet as a ledger line of its own")
    created_at: str


class TransactionOut(BaseModel):
    id: str
    type: str
    amount: int = Field(description="signed, from this wallet's side")
    currency: str
    balance_after: int | None
    counterparty: dict | None
    status: str
    reference: str | None
    note: str | None = None
    wallet_id: str
    terminal_id: str | None = None
    fee: int = Field(0, description="a payment's fee (charged to the merchant; paid by the user on a top-up or "
                                    "P2P transfer), or what a refund returned of it; its own ledger line, type "
                                    "'fee' or 'fee_return'")
    created_at: str


class TierOut(BaseModel):
    name: str
    max_payment: int = Field(description="largest single outgoing payment or transfer (minor units)")
    daily_out: int = Field(description="outgoing total per UTC day")
    monthly_out: int = Field(description="outgoing total per UTC month")
    max_balance: int = Field(description="largest balance a top-up or a transfer received may leave")
    max_topup: int = Field(description="largest single top-up")
    offline_allowance: int = Field(description="the offline purse's allowance")


class PeriodLeft(BaseModel):
    limit: int
    used: int = Field(description="outgoing so far in this period (holds included)")
    left: int
    resets_at: str = Field(description="when `used` starts again from 0 (UTC)")


class WalletLimits(BaseModel):
    wallet_id: str
    currency: str
    balance_left: int = Field(description="how much more the wallet may hold under the tier's max_balance")
    day: PeriodLeft
    month: PeriodLeft


class MyLimitsOut(BaseModel):
    tier: TierOut
    wallets: list[WalletLimits]

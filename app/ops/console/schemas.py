"""Request and response models of the console's read endpoints."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import RequestParams
from app.wallet.schemas import MyLimitsOut, TransactionOut, WalletOut

Right = Literal["read", "freeze", "adjustments", "fees", "operators", "configuration"]


class ConsoleFeatures(BaseModel):
    freezes: bool = Field(description="whether this server has the freezes API (/api/v1/admin/freezes)")


class OperatorMe(BaseModel):
    user_id: str
    name: str
    roles: list[str]
    rights: list[Right] = Field(description="what these roles may do (app.auth.operator_roles); the console "
                                            "offers nothing else")
    features: ConsoleFeatures


class UserSearchQuery(RequestParams):
    q: str = Field(min_length=2, max_length=254, pattern=NO_CONTROLS,
                   description="a phone (E.164), an e-mail, a wallet id (wal_...) or user id (usr_...), or part "
                               "of a name or e-mail")


class UserPath(BaseModel):
    user_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class UserBrief(BaseModel):
    id: str
    name: str
    email: str | None
    phone: str | None
    status: str
    tier: str
    verified: bool
    created_at: str


class UserSearchOut(BaseModel):
    data: list[UserBrief] = Field(description="exact matches first, then at most 20 in all")


class HoldOut(BaseModel):
    transaction_id: str
    wallet_id: str
    amount: int
    currency: str
    reference: str | None
    terminal_id: str | None
    created_at: str
    expires_at: str | None


class UserDetail(BaseModel):
    user: UserBrief
    operator_roles: list[str]
    wallets: list[WalletOut]
    holds: list[HoldOut] = Field(description="pending transfers out of the user's wallets, not yet captured, "
                                             "voided or expired")
    limits: MyLimitsOut = Field(description="the tier's limits and what is left today and this month")
    history: list[TransactionOut] = Field(description="the 20 most recent entries over all the user's wallets")


class WalletCheck(BaseModel):
    wallet_id: str
    entries: int
    ok: bool


class UserVerifyOut(BaseModel):
    ok: bool
    checked_at: str
    wallets: list[WalletCheck]
    problems: list[str] = Field(description="each broken link, as flask ledger verify words it")


class TerminalQuery(RequestParams):
    stale_after: int = Field(86_400, ge=60, le=365 * 86_400,
                             description="seconds without activity after which a terminal is listed")
    limit: int = Field(50, ge=1, le=100)


class TerminalWatch(BaseModel):
    id: str
    label: str
    kind: str
    status: str
    merchant_id: str
    merchant_name: str
    last_seen_at: str = Field(description="its latest sale, refund or upload (or registration, secret rotation)")
    stale: bool
    unreported: int = Field(description="offline confirmations given and never reported by the terminal")
    refused: int = Field(description="uploaded offline records the server refused")
    gaps: list[list[int]] = Field(description="runs of offline sequence numbers never reported")


class TerminalWatchList(BaseModel):
    data: list[TerminalWatch] = Field(description="stalest first")
    has_more: bool

"""Request and response models of offline purses, and of the purse records terminals upload."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS, Pin
from app.core.schemas import Strict

B64_KEY = r"^[A-Za-z0-9_-]{43}$"  # 32 bytes, unpadded base64url
B64_SIGNATURE = r"^[A-Za-z0-9_-]{86}$"  # 64 bytes
MAX_UNIX = 10 ** 11


class PurseBody(Strict):
    device_key: str = Field(pattern=B64_KEY, description="the device's Ed25519 public key, raw 32 bytes, base64url")
    allowance: Amount = Field(description="held on the wallet; at most OFFLINE_PURSE_MAX")
    max_payment: Amount | None = Field(None, description="the largest single payment; default the allowance")
    validity_days: StrictInt = Field(ge=1, le=366, description="at most OFFLINE_PURSE_MAX_DAYS")
    pin: Pin | None = Field(None, description="needed when the allowance is above the no-PIN limit")


class WalletPursePath(BaseModel):
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    purse_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class Certificate(Strict):
    """Signed by the issuer key `kid` over the README's certificate message."""
    purse_id: str = Field(max_length=40, pattern=r"^[0-9A-Za-z_]+$")
    device_key: str = Field(pattern=B64_KEY)
    currency: CurrencyCode
    allowance: StrictInt = Field(ge=1, le=10 ** 12)
    max_payment: StrictInt = Field(ge=1, le=10 ** 12)
    valid_until: StrictInt = Field(ge=0, le=MAX_UNIX, description="unix seconds")
    kid: str = Field(max_length=16, pattern=r"^[0-9A-Za-z_-]+$")
    signature: str = Field(pattern=B64_SIGNATURE)


class Token(Strict):
    """Signed by the device key over the README's token message."""
    purse_id: str = Field(max_length=40, pattern=r"^[0-9A-Za-z_]+$")
    counter: StrictInt = Field(ge=1, le=10 ** 12, description="the purse's sequence number: 1 for its first token, "
                                                             "one more for each next one")
    terminal_id: str = Field(max_length=40, pattern=r"^[0-9A-Za-z_]+$")
    nonce: str = Field(pattern=r"^[0-9A-Za-z]{8,32}$", description="from the terminal's payment request")
    amount: Amount
    currency: CurrencyCode
    time: StrictInt = Field(ge=0, le=MAX_UNIX, description="unix seconds, the phone's clock")
    signature: str = Field(pattern=B64_SIGNATURE)


class PurseRecord(Strict):
    """An upload record of kind "purse": a token the terminal accepted, with the certificate."""
    kind: Literal["purse"]
    certificate: Certificate
    token: Token


class CertificateOut(BaseModel):
    purse_id: str
    device_key: str
    currency: str
    allowance: int
    max_payment: int
    valid_until: int
    kid: str
    signature: str


class PurseOut(BaseModel):
    id: str
    wallet_id: str
    status: Literal["active", "closed", "frozen"]
    currency: str
    allowance: int
    max_payment: int
    spent: int = Field(description="every token paid, an overspend included")
    debt: int = Field(description="paid to merchants for this wallet beyond its money: owed")
    frozen_reason: Literal["counter_reused", "above_allowance"] | None
    valid_until: str
    created_at: str
    closed_at: str | None
    release_after: str = Field(description="when what is still held returns to the wallet")
    wallet_debt: int = Field(description="what the wallet still owes for its purses' overspends, all of them: "
                                         "collected from the next money that comes in")
    gaps: list[list[int]] = Field(description="runs [first, last] of sequence numbers (counters) never uploaded "
                                              "below the highest uploaded: tokens a terminal still holds, or lost")
    certificate: CertificateOut


class PurseList(BaseModel):
    data: list[PurseOut]


class Overspent(BaseModel):
    purse: PurseOut
    user_id: str
    tokens: int = Field(description="tokens paid from this purse")
    overspent_tokens: int = Field(description="of them, paid beyond the allowance or with a reused counter")
    frozen_at: str


class OverspentList(BaseModel):
    data: list[Overspent]

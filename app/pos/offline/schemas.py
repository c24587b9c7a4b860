"""Request and response models of offline sales: uploads, reconciliation, limits."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictInt, model_validator

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.schemas import RequestParams, Strict

MAX_UNIX = 10 ** 11


class OfflineRecord(Strict):
    """One confirmed offline sale as the terminal kept it (README, "Offline terminals")."""
    seq: StrictInt = Field(ge=1, le=10 ** 12, description="the code's sequence number")
    nonce: str = Field(pattern=r"^[0-9A-Za-z]{8,32}$")
    amount: Amount
    currency: CurrencyCode
    reference: str = Field("", max_length=25, pattern=r"^[\x20-\x7e]*$")
    sold_at: StrictInt = Field(ge=0, le=MAX_UNIX, description="unix seconds, the terminal's clock: when it made the code")
    offline_since: StrictInt = Field(ge=0, le=MAX_UNIX, description="unix seconds: when this outage began")
    payment_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS,
                                   description="from a scanned confirmation; null when it was typed")
    confirmation: str = Field(pattern=r"^[0-9]{10}$", description="the confirmation the terminal accepted")


class OfflineSalesBody(Strict):
    records: list[Any] = Field(
        description="OfflineRecord objects, or purse records ({\"kind\": \"purse\", \"certificate\", \"token\"}: "
                    "app.pos.purse.schemas.PurseRecord), at most OFFLINE_UPLOAD_MAX_RECORDS (413 above); each is checked on "
                    "its own, so a malformed one is refused and the others still post")


class RecordResult(BaseModel):
    index: int
    seq: int | None
    status: Literal["posted", "duplicate", "refused"]
    reason: Literal["malformed", "not_issued", "mismatch", "conflict", "unknown_issuer_key", "tampered", "expired",
                    "revoked", "wrong_terminal", "foreign_currency", "above_cap", "unknown_purse"] | None = Field(
        description="not_issued: no confirmation was given for it (forged); mismatch: it differs from what "
                    "was paid; conflict: this sequence number was reported before with other content. Purse "
                    "records (kind \"purse\"): unknown_issuer_key, tampered (a signature fails), expired, revoked "
                    "(signed after the purse was closed), wrong_terminal, foreign_currency, above_cap "
                    "(above the certificate's max_payment), unknown_purse")
    payment_id: str | None
    breaches: list[Literal["max_sale", "max_total", "max_count", "max_hours"]]
    errors: list[dict] = Field(default_factory=list, description="for malformed: the fields at fault")
    purse_id: str | None = Field(None, description="purse records: the purse and the token's counter")
    counter: int | None = None
    purse_gaps: list[list[int]] = Field([], description="purse records: runs [first, last] of the purse's sequence "
                                                        "numbers never uploaded below the highest uploaded (at most 50)")
    overspend: bool = Field(False, description="purse records: paid, and found to be an overspend (reused counter "
                                               "or above the allowance): the purse and the wallet's offline use froze")


class Unreported(BaseModel):
    terminal_id: str
    seq: int
    payment_id: str
    amount: int
    currency: str
    sold_at: str
    paid_at: str


class Refused(BaseModel):
    terminal_id: str
    seq: int
    reason: str
    amount: int
    currency: str
    sold_at: str
    received_at: str


class OfflineSalesOut(BaseModel):
    results: list[RecordResult]
    gaps: list[list[int]] = Field(description="[first, last] runs of sequence numbers never reported, between "
                                              "the lowest and highest reported (a code nobody paid, or a lost sale)")
    unreported: list[Unreported] = Field(description="paid (confirmed by the server) but not reported yet")


class UnreportedOut(BaseModel):
    issued_not_reported: list[Unreported] = Field(
        description="the customer paid; the terminal never reported the sale: decide on a refund")
    reported_not_issued: list[Refused] = Field(description="reported, but no such confirmation was given: refused")
    has_more: bool = Field(description="either list was cut at 100 (oldest first)")


class MerchantOfflinePath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class UnreportedQuery(RequestParams):
    terminal_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS)


class LimitsBody(Strict):
    max_sale: StrictInt = Field(ge=1, le=10 ** 12, description="the largest single offline sale, minor units")
    max_total: StrictInt = Field(ge=1, le=10 ** 12, description="the most one outage's sales may add up to")
    max_count: StrictInt = Field(ge=1, le=100_000, description="the most sales stored in one outage")
    max_hours: StrictInt = Field(ge=1, le=720, description="hours offline after which the terminal stops selling")

    @model_validator(mode="after")
    def _sale_within_total(self):
        if self.max_sale > self.max_total:
            raise ValueError("max_sale must not be above max_total")
        return self


class LimitsOut(BaseModel):
    terminal_id: str
    max_sale: int
    max_total: int
    max_count: int
    max_hours: int
    custom: bool = Field(description="false: no limits set for this terminal, the OFFLINE_* defaults apply")

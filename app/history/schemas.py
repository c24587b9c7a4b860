"""Request and response models of the read side: history, receipts, statements, exports, merchant sales."""
from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field, field_validator

from app.core.fields import CurrencyCode, NO_CONTROLS
from app.core.pagination import PageQuery
from app.core.schemas import RequestParams
from app.history.filters import HistoryFilters
from app.wallet.schemas import TransactionOut


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


WORDS = r"^[a-z_]{1,24}(,[a-z_]{1,24}){0,9}$"  # one value or a comma-separated few


class HistoryFilterQuery(RequestParams):
    """The filters of a history list and of its CSV export."""
    type: str | None = Field(None, pattern=WORDS, description="topup, transfer, payment, refund, reversal, hold, adjustment; "
                             "several separated by commas")
    status: str | None = Field(None, pattern=WORDS, description="e.g. succeeded, authorized, captured, voided")
    date_from: date | None = Field(None, alias="from", description="YYYY-MM-DD (UTC), inclusive")
    date_to: date | None = Field(None, alias="to", description="YYYY-MM-DD (UTC), inclusive: the whole day")
    q: str | None = Field(None, min_length=1, max_length=100, pattern=NO_CONTROLS,
                          description="case-insensitive substring of the reference, the note or the other "
                                      "party's name")

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _calendar_day(cls, value):
        # Only YYYY-MM-DD: pydantic alone would also take a number as a unix time.
        if value is not None and not (isinstance(value, str) and DAY.fullmatch(value)):
            raise ValueError("expected a date as YYYY-MM-DD")
        return value

    @field_validator("date_to")
    @classmethod
    def _ordered(cls, value, info):
        # A field validator (not a model one) so the error names the parameter `to`: a model
        # validator's error has no location and the envelope would call it "body" on a GET.
        # date_from is declared first, so it is in info.data when it was valid.
        date_from = info.data.get("date_from")
        if value is not None and date_from is not None and value < date_from:
            raise ValueError("'to' is before 'from'")
        return value

    def filters(self, **extra) -> HistoryFilters:
        split = lambda value: tuple(value.split(",")) if value else ()
        return HistoryFilters(types=split(self.type), statuses=split(self.status), date_from=self.date_from,
                              date_to=self.date_to, q=self.q, **extra)


class HistoryQuery(PageQuery, HistoryFilterQuery):
    pass


class MerchantHistoryFilterQuery(HistoryFilterQuery):
    terminal_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS, description="one terminal's rows")
    currency: CurrencyCode | None = Field(None, description="one of the merchant's accounts; all by default")

    def filters(self) -> HistoryFilters:
        return super().filters(terminal_id=self.terminal_id)


class MerchantHistoryQuery(PageQuery, MerchantHistoryFilterQuery):
    pass


class StatementPath(BaseModel):
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    month: str = Field(max_length=7, description="YYYY-MM (UTC)")


class LegOut(BaseModel):
    id: str
    kind: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    pending_id: str | None
    created_at: str


class MerchantBrief(BaseModel):
    id: str
    name: str
    city: str


class TerminalBrief(BaseModel):
    id: str
    label: str | None


class RefundBrief(BaseModel):
    id: str
    type: str = Field(description="refund or reversal")
    amount: int
    status: str
    fee_returned: int = Field(0, description="what this refund gave back of the merchant's fee")
    created_at: str


class OfflineSaleBrief(BaseModel):
    sequence: int | None = Field(description="the terminal's sequence number of the code (case 1; null for a purse token)")
    purse_id: str | None = Field(None, description="a purse token (case 3): its purse and sequence number")
    counter: int | None = None
    sold_at: str = Field(description="when it was sold: the terminal made the code (case 1) or the phone signed "
                                     "the token (case 3), by that device's clock")
    posted_at: str = Field(description="when the payment was posted (the server's clock)")


class TransactionDetail(TransactionOut):
    """A receipt."""
    related_id: str | None = Field(None, description="for a refund or reversal: the payment it gives back")
    merchant: MerchantBrief | None = None
    terminal: TerminalBrief | None = None
    refunds: list[RefundBrief] = []
    legs: list[LegOut]
    offline: OfflineSaleBrief | None = Field(None, description="a sale a terminal made offline")


class InOut(BaseModel):
    in_: int = Field(alias="in")
    out: int


class StatementOut(BaseModel):
    month: str
    currency: str
    opening_balance: int
    closing_balance: int = Field(description="opening_balance + every in - every out")
    totals: dict[str, InOut] = Field(description="per transaction type, posted amounts, minor units")
    count: int


class MerchantStatementPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    month: str = Field(max_length=7, description="YYYY-MM, a UTC month up to the current one")


class StatementLines(BaseModel):
    """Minor units of the merchant's currency; money out (refunds, fees) as positive amounts."""
    sales: int = Field(description="payments and captured holds (gross)")
    refunds: int = Field(description="refunds and reversals")
    fees: int = Field(description="the merchant's fees charged")
    fees_returned: int = Field(description="fees given back with refunds and reversals")
    adjustments: int = Field(description="operators' adjustments, signed")
    other: int = Field(description="anything else, signed (0: sweeps between the merchant's own accounts add to zero)")
    net: int = Field(description="sales - refunds - fees + fees_returned + adjustments + other")


class StatementDay(StatementLines):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    opening_balance: int
    closing_balance: int = Field(description="opening_balance + net")


class MerchantStatementOut(BaseModel):
    merchant_id: str
    month: str
    currency: str
    time_zone: str = Field(description="always UTC: days and the month are UTC")
    starts_at: str
    ends_at: str = Field(description="exclusive: the next month's first instant")
    complete: bool = Field(description="false for the current month (so far)")
    opening_balance: int = Field(description="the merchant's posted balance (account and credit buckets) at starts_at")
    closing_balance: int = Field(description="at ends_at, or now for the current month; = opening_balance + totals.net")
    totals: StatementLines
    days: list[StatementDay] = Field(description="every day of the month, up to today for the current month")


class HistoryItemOut(TransactionOut):
    sold_at: str | None = Field(None, description="an offline sale's time of sale (the terminal's clock in case 1, "
                                                  "the phone's in a purse token); created_at is when it was posted")


class TransactionPage(BaseModel):
    data: list[HistoryItemOut]
    has_more: bool
    next_cursor: str | None


class MerchantTransactionOut(HistoryItemOut):
    wallet_id: str = Field(description="the merchant account (one per currency)")


class MerchantTransactionPage(BaseModel):
    data: list[MerchantTransactionOut]
    has_more: bool
    next_cursor: str | None


class TransactionPath(BaseModel):
    transaction_id: str = Field(max_length=40, pattern=NO_CONTROLS)

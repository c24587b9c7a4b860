"""Batches a terminal closes, and the settlements merchant staff read."""
import datetime as dt

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import RequestParams


class Totals(BaseModel):
    sales: int
    refunds: int
    gross: int = Field(description="sales - refunds")
    fees: int = Field(description="the merchant's fees on these sales, less fees refunds gave back")
    net: int = Field(description="gross - fees: what the merchant keeps")


class OfflineBatchSummary(BaseModel):
    unreported: int = Field(description="sales confirmed to this terminal's offline codes and not uploaded yet")
    gaps: list[list[int]] = Field(description="[first, last] runs of sequence numbers never reported")


class BatchOut(BaseModel):
    id: str
    terminal_id: str
    opened_at: str
    closed_at: str
    count: int = Field(description="sales and refunds in the batch")
    totals: dict[str, Totals] = Field(description="per currency")
    offline: OfflineBatchSummary | None = Field(None, description="on close: what offline sales are still missing")


class SettlementPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


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

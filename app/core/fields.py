"""Pydantic field types shared by every schema: amounts and currencies as the API takes them.

Amounts are JSON integers of minor units. A float (even 12.0), a string, a boolean, zero, a
negative or anything above MAX_AMOUNT is refused by the schema, before any service runs.
"""
from __future__ import annotations

from typing import Annotated

from flask import current_app
from pydantic import AfterValidator, Field, StrictInt, StrictStr

from app.core.money import is_currency

# No control characters in ids and texts: PostgreSQL cannot even compare a string holding NUL
# (a 500, not a 404).
NO_CONTROLS = r"^[^\x00-\x1f\x7f]+$"


def _within_max_amount(value: int) -> int:
    limit = current_app.config["MAX_AMOUNT"]
    if value > limit:
        raise ValueError(f"amount must not exceed MAX_AMOUNT ({limit} minor units)")
    return value


def _known_currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"unknown or unsupported currency {value!r}")
    return value


Amount = Annotated[StrictInt, Field(gt=0, description="integer minor units (1250 USD = 12.50)",
                                    json_schema_extra={"example": 1250}),
                   AfterValidator(_within_max_amount)]
CurrencyCode = Annotated[StrictStr, Field(min_length=3, max_length=3, description="ISO 4217 alphabetic code",
                                          json_schema_extra={"example": "USD"}),
                         AfterValidator(_known_currency)]
Pin = Annotated[StrictStr, Field(pattern=r"^[0-9]{6}$", description="six-digit payment PIN")]

"""Money is an integer count of minor units in one ISO 4217 currency.

Floats never touch money. Decimal appears only at the edges (display, the EMV amount field).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Currency:
    code: str
    numeric: str
    exponent: int
    name: str


# The currencies we serve. Exponents from ISO 4217 (JPY 0, KWD 3).
_TABLE = [
    Currency("USD", "840", 2, "US Dollar"),
    Currency("EUR", "978", 2, "Euro"),
    Currency("GBP", "826", 2, "Pound Sterling"),
    Currency("JPY", "392", 0, "Yen"),
    Currency("CNY", "156", 2, "Yuan Renminbi"),
    Currency("SGD", "702", 2, "Singapore Dollar"),
    Currency("THB", "764", 2, "Baht"),
    Currency("BRL", "986", 2, "Brazilian Real"),
    Currency("INR", "356", 2, "Indian Rupee"),
    Currency("KWD", "414", 3, "Kuwaiti Dinar"),
    Currency("MYR", "458", 2, "Malaysian Ringgit"),
    Currency("IDR", "360", 2, "Rupiah"),
    Currency("PHP", "608", 2, "Philippine Peso"),
    Currency("VND", "704", 0, "Dong"),
    Currency("KRW", "410", 0, "Won"),
    Currency("HKD", "344", 2, "Hong Kong Dollar"),
    Currency("AUD", "036", 2, "Australian Dollar"),
    Currency("CAD", "124", 2, "Canadian Dollar"),
    Currency("CHF", "756", 2, "Swiss Franc"),
    Currency("BHD", "048", 3, "Bahraini Dinar"),
]
CURRENCIES: dict[str, Currency] = {c.code: c for c in _TABLE}
BY_NUMERIC: dict[str, Currency] = {c.numeric: c for c in _TABLE}


class UnknownCurrency(ValueError):
    pass


def currency(code: str) -> Currency:
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrency(f"unknown currency {code!r}") from None


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in CURRENCIES


def to_decimal(minor: int, code: str) -> Decimal:
    """12345 USD -> Decimal('123.45'); for display and external formats only."""
    return Decimal(minor).scaleb(-currency(code).exponent)


def format_amount(minor: int, code: str) -> str:
    exponent = currency(code).exponent
    return f"{to_decimal(minor, code):.{exponent}f} {code}"

"""The currency table and the Decimal edges of money."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.money import BY_NUMERIC, CURRENCIES, UnknownCurrency, currency, format_amount, is_currency, to_decimal

EXPECTED = {  # ISO 4217: alphabetic code -> (numeric code, exponent)
    "USD": ("840", 2), "EUR": ("978", 2), "GBP": ("826", 2), "JPY": ("392", 0), "CNY": ("156", 2),
    "SGD": ("702", 2), "THB": ("764", 2), "BRL": ("986", 2), "INR": ("356", 2), "KWD": ("414", 3),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_currency_we_serve_has_its_iso_numeric_code_and_exponent(code):
    numeric, exponent = EXPECTED[code]

    found = currency(code)

    assert (found.code, found.numeric, found.exponent) == (code, numeric, exponent)
    assert BY_NUMERIC[numeric] is found


def test_the_table_has_no_duplicate_codes_and_sane_entries():
    numerics = [c.numeric for c in CURRENCIES.values()]

    assert len(numerics) == len(set(numerics))
    for code, entry in CURRENCIES.items():
        assert entry.code == code and len(code) == 3 and code.isupper()
        assert len(entry.numeric) == 3 and entry.numeric.isdigit()
        assert entry.exponent in (0, 2, 3)


@pytest.mark.parametrize("code", ["XYZ", "usd", "", None, 840, "USD "])
def test_an_unknown_code_is_not_a_currency(code):
    assert is_currency(code) is False
    with pytest.raises(UnknownCurrency):
        currency(code)


@pytest.mark.parametrize("minor, code, decimal, text", [
    (12345, "USD", Decimal("123.45"), "123.45 USD"),
    (5, "USD", Decimal("0.05"), "0.05 USD"),
    (1000, "JPY", Decimal("1000"), "1000 JPY"),
    (1234, "KWD", Decimal("1.234"), "1.234 KWD"),
    (0, "EUR", Decimal("0"), "0.00 EUR"),
    (-250, "GBP", Decimal("-2.50"), "-2.50 GBP"),
])
def test_minor_units_convert_to_decimal_by_the_currencys_exponent(minor, code, decimal, text):
    assert to_decimal(minor, code) == decimal
    assert format_amount(minor, code) == text

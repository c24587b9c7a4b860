"""The fee arithmetic, as a readable specification (app/wallet/sql/fees.sql computes it in the
posting; the tests compare the two). Integers only, in minor units.

    fee = round(amount * rate_bps / 10000), half up to the minor unit
    fee = max(fee, min_fee)             a minimum per payment
    fee = min(fee, amount)              never more than what it is charged on
    no rate and no minimum: no fee (nothing is written)

A refund returns, when the setting says so, the fee in proportion: after refunds totalling R of a
payment of amount A with fee F, round(F * R / A) half up has come back in total; so a full refund,
in one go or in parts, returns exactly F, and each part returns its share of what is left.
"""
from __future__ import annotations


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def fee_amount(amount: int, rate_bps: int, min_fee: int) -> int:
    if rate_bps == 0 and min_fee == 0:
        return 0
    return min(amount, max(min_fee, _half_up(amount * rate_bps, 10_000)))


def fee_returned_total(fee: int, amount: int, refunded: int) -> int:
    """What all refunds of a payment, `refunded` in total, have returned of its fee."""
    if fee == 0 or amount == 0:
        return 0
    return _half_up(fee * min(refunded, amount), amount)

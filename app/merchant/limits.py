"""A merchant's own limits: its largest single charge and its daily refund total.

Set by the merchant's owner (the right `limits`, app.merchant.roles) or an admin operator, read
by any of its staff. Both are minor units of the merchant's currency; None is no limit. The checks
themselves run inside the payment functions (app/merchant/sql/merchant_limits.sql): a terminal
charge, a vending authorization and a QR payment above `max_charge` are refused, and a refund
(terminal or order) that would take the day's refunds above `daily_refunds` is refused, both with
limit_exceeded and details as the wallets' limits give them. The day's refunds are counted in
limit_usage under the merchant's account (UTC days, like the wallets' daily totals, which are
columns of each wallet's accounts row since migration 0039), whether or not a limit is set, so a
limit set at noon counts the morning's refunds.
"""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.core import audit, clock
from app.core.errors import not_found
from app.core.uow import end_read, unit_of_work
from app.extensions import db
from app.merchant.models import Merchant
from app.merchant.services import merchant_account, staff_membership
from app.wallet import limit_rules
from app.wallet.models import LimitUsage

FIELDS = ("max_charge", "daily_refunds")


def limits_out(merchant: Merchant) -> dict:
    """The limits, and what the day's refunds have used of theirs (one read of the counter)."""
    now = clock.now()
    account = merchant_account(merchant.id, merchant.currency)
    row = None if account is None else db.session.execute(
        select(LimitUsage).filter_by(account_id=account.id, period="day")).scalar_one_or_none()
    used = limit_rules.used_now("day", row.period_start if row else None, row.used if row else 0, now)
    left = None if merchant.daily_refunds is None else max(merchant.daily_refunds - used, 0)
    return {"merchant_id": merchant.id, "currency": merchant.currency, "max_charge": merchant.max_charge,
            "daily_refunds": merchant.daily_refunds,
            "refunds_today": {"used": used, "left": left,
                              "resets_at": clock.iso(limit_rules.resets_at("day", now))}}


def get_limits(user: User, merchant_id: str) -> dict:
    merchant, _ = staff_membership(user, merchant_id)  # any staff; anyone else: 404
    out = limits_out(merchant)
    end_read()
    return out


def set_by_owner(user: User, merchant_id: str, *, max_charge: int | None, daily_refunds: int | None) -> dict:
    """The owner sets both (PUT: an omitted limit is no limit). Audited as merchant staff."""
    with unit_of_work() as uow:
        merchant, _ = staff_membership(user, merchant_id, "limits")
        out = _set(merchant, "merchant_staff", user.id, max_charge, daily_refunds)
        uow.commit()
    return out


def set_by_operator(operator_id: str, merchant_id: str, *, max_charge: int | None, daily_refunds: int | None) -> dict:
    """An admin operator sets them for any merchant (the blueprint checked the right). Audited."""
    with unit_of_work() as uow:
        merchant = db.session.get(Merchant, merchant_id, with_for_update=True)
        if merchant is None:
            raise not_found("merchant")
        out = _set(merchant, "operator", operator_id, max_charge, daily_refunds)
        uow.commit()
    return out


def _set(merchant: Merchant, actor_type: str, actor_id: str, max_charge: int | None,
         daily_refunds: int | None) -> dict:
    before = {field: getattr(merchant, field) for field in FIELDS}
    merchant.max_charge, merchant.daily_refunds = max_charge, daily_refunds
    audit.record(actor_type, actor_id, "merchant.limits", "merchant", merchant.id, before=before,
                 after={"max_charge": max_charge, "daily_refunds": daily_refunds})
    return limits_out(merchant)

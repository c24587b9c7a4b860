"""Fee changes by finance operators. Each is one unit of work with its audit record; the posting
reads merchants' rates and fee_settings in the payment's own transaction, so a change holds from
the next payment. The rows are locked so that two changes are recorded in the order they were made,
each `before` being what the other left."""
from __future__ import annotations

from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import not_found
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.models import Merchant
from app.wallet.models import FeeSettings


def _merchant_out(merchant: Merchant) -> dict:
    return {"merchant_id": merchant.id, "rate_bps": merchant.fee_rate_bps, "min_fee": merchant.fee_min,
            "refund_returns_fee": merchant.refund_returns_fee}


def _settings_out(settings: FeeSettings) -> dict:
    return {"topup_rate_bps": settings.topup_rate_bps, "topup_min_fee": settings.topup_min,
            "p2p_rate_bps": settings.p2p_rate_bps, "p2p_min_fee": settings.p2p_min,
            "refund_returns_fee": settings.refund_returns_fee}


def merchant_fees(merchant_id: str) -> dict:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise not_found("merchant")
    return _merchant_out(merchant)


def set_merchant_fees(operator_id: str, merchant_id: str, *, rate_bps: int, min_fee: int,
                      refund_returns_fee: bool | None, reason: str | None) -> dict:
    with unit_of_work() as uow:
        merchant = db.session.execute(select(Merchant).filter_by(id=merchant_id).with_for_update()).scalar_one_or_none()
        if merchant is None:
            raise not_found("merchant")
        before = _merchant_out(merchant)
        merchant.fee_rate_bps, merchant.fee_min, merchant.refund_returns_fee = rate_bps, min_fee, refund_returns_fee
        after = _merchant_out(merchant)
        audit.record("operator", operator_id, "merchant.fees", "merchant", merchant.id, before=before, after=after,
                     reason=reason)
        uow.commit()
        return after


def fee_settings() -> dict:
    return _settings_out(db.session.get(FeeSettings, "global"))


def set_fee_settings(operator_id: str, *, topup_rate_bps: int, topup_min_fee: int, p2p_rate_bps: int,
                     p2p_min_fee: int, refund_returns_fee: bool, reason: str | None) -> dict:
    with unit_of_work() as uow:
        settings = db.session.execute(select(FeeSettings).filter_by(id="global").with_for_update()).scalar_one()
        before = _settings_out(settings)
        settings.topup_rate_bps, settings.topup_min = topup_rate_bps, topup_min_fee
        settings.p2p_rate_bps, settings.p2p_min = p2p_rate_bps, p2p_min_fee
        settings.refund_returns_fee, settings.updated_at = refund_returns_fee, clock.now()
        after = _settings_out(settings)
        audit.record("operator", operator_id, "fees.settings", "fee_settings", "global", before=before, after=after,
                     reason=reason)
        uow.commit()
        return after

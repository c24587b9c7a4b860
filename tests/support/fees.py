"""Fee configuration and the fee lines, read straight from the database (the operator API has
tests of its own: tests/ops/test_fees_api.py)."""
from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.merchant.models import Merchant
from app.wallet.models import Account, FeeSettings, Transaction, Transfer


def set_merchant_fee(app, merchant_id: str, rate_bps: int, min_fee: int = 0, *,
                     refund_returns_fee: bool | None = None) -> None:
    with app.app_context():
        db.session.execute(update(Merchant).where(Merchant.id == merchant_id).values(
            fee_rate_bps=rate_bps, fee_min=min_fee, refund_returns_fee=refund_returns_fee))
        db.session.commit()


def set_fee_settings(app, **values) -> None:
    """topup_rate_bps, topup_min, p2p_rate_bps, p2p_min, refund_returns_fee; the rest back to 0."""
    defaults = {"topup_rate_bps": 0, "topup_min": 0, "p2p_rate_bps": 0, "p2p_min": 0, "refund_returns_fee": False}
    with app.app_context():
        db.session.execute(update(FeeSettings).where(FeeSettings.id == "global").values(**(defaults | values)))
        db.session.commit()


def fee_lines(app, related_id: str) -> list[dict]:
    """The fee transactions (type fee or fee_return) of a payment or refund, with their one transfer each."""
    with app.app_context():
        rows = db.session.execute(
            select(Transaction, Transfer).join(Transfer, Transfer.transaction_id == Transaction.id)
            .where(Transaction.related_id == related_id, Transaction.type.in_(("fee", "fee_return")))).all()
        return [{"type": t.type, "amount": t.amount, "debit": tr.debit_account_id, "credit": tr.credit_account_id,
                 "transfer_amount": tr.amount} for t, tr in rows]


def recorded_fee(app, txn_id: str) -> int:
    with app.app_context():
        return db.session.get(Transaction, txn_id).fee


def revenue(app, currency: str = "USD") -> int:
    """The fee revenue account's balance, its buckets included (0 before the first fee)."""
    with app.app_context():
        parent = db.session.execute(select(Account.id).where(Account.code == "fee_revenue",
                                                             Account.currency == currency)).scalar_one_or_none()
        if parent is None:
            return 0
        return db.session.execute(select(func.sum(Account.credits_posted - Account.debits_posted))
                                  .where((Account.id == parent) | (Account.parent_id == parent))).scalar_one()

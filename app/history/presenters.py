"""Rows of the read side -> JSON: who is on the other side of each transaction, history items."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.merchant.models import Merchant
from app.wallet.models import Account


# What a user sees on the other side of a system account. Both adjustment accounts read
# "Adjustment": the user learns it was a correction, not the operator's bookkeeping.
SYSTEM_LABELS = {"topup_float": "Top-up", "suspense": "Adjustment", "revenue": "Adjustment",
                 "offline_purse": "Offline purse", "offline_receivable": "Offline purse debt",
                 "fee_revenue": "Fees"}


def counterparties(account_ids: set[str]) -> dict[str, dict]:
    """A short public description of each account: who or what is on the other side."""
    if not account_ids:
        return {}
    rows = db.session.execute(select(Account, User, Merchant).outerjoin(User, User.id == Account.user_id)
                              .outerjoin(Merchant, Merchant.id == Account.merchant_id)
                              .where(Account.id.in_(account_ids))).all()
    return {account.id: account_party(account.id, account.kind, account.code, account.merchant_id,
                                      user.name if user else None, merchant.name if merchant else None)
            for account, user, merchant in rows}


def account_party(account_id: str, kind: str, code: str | None, merchant_id: str | None,
                  user_name: str | None, merchant_name: str | None) -> dict:
    """One account as the other side sees it (the user's or merchant's name, or a system label)."""
    if kind == "user":
        return {"type": "user", "name": user_name, "wallet_id": account_id}  # as wallet.presenters.user_counterparty
    if kind == "merchant":
        return {"type": "merchant", "name": merchant_name, "merchant_id": merchant_id}
    # The purse escrow is spread over 'offline_purse.0' ...: one label for them all.
    return {"type": "system", "name": SYSTEM_LABELS.get(code.split(".")[0], code)}


def other_account_id(debit_account_id: str, credit_account_id: str, viewer_id: str) -> str:
    return credit_account_id if debit_account_id == viewer_id else debit_account_id


def history_item(row, others: dict[str, dict], sold_at: datetime | None = None) -> dict:
    """One history row (an entry with its transaction, see app.history.entries.ROW) as the
    account it belongs to sees it; the same shape as transaction_out, plus the terminal and, for
    an offline sale, its time of sale (created_at stays the time of posting)."""
    other_id = other_account_id(row.debit_account_id, row.credit_account_id, row.account_id)
    return {"id": row.id, "type": row.type, "amount": row.amount, "currency": row.currency,
            "balance_after": row.balance_after, "counterparty": others.get(other_id), "status": row.status,
            "reference": row.reference, "note": row.note, "wallet_id": row.account_id,
            "terminal_id": row.terminal_id, "fee": row.fee, "created_at": clock.iso(row.created_at),
            "sold_at": clock.iso(sold_at)}


def counterparty_name(counterparty: dict | None) -> str:
    return (counterparty or {}).get("name") or ""


def without_wallet_ids(others: dict[str, dict]) -> dict[str, dict]:
    """What a merchant sees of its customers: their name, not their wallet id."""
    return {key: {k: v for k, v in value.items() if k != "wallet_id"} for key, value in others.items()}

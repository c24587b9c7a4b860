"""Domain rows -> the JSON the API returns. Plain dicts, so idempotent answers can be stored."""
from __future__ import annotations


from app.auth.models import User
from app.core import clock
from app.wallet.models import Account, Transaction


def wallet_out(account: Account, frozen: dict | None = None) -> dict:
    """account: an Account, or a row naming the same figures (app.wallet.services._WALLET_READ).
    frozen: app.wallet.freezes.frozen_state of the wallet (None: no freeze covers it)."""
    return {"id": account.id, "currency": account.currency, "balance": account.balance,
            "available": account.available, "held": account.held, "status": account.status,
            "frozen": frozen, "created_at": clock.iso(account.created_at)}


def user_counterparty(account: Account, user: User | None) -> dict:
    return {"type": "user", "name": user.name if user else None, "wallet_id": account.id}


def transaction_out(txn: Transaction, *, viewer_account: Account, others: dict[str, dict],
                    balance_after: int | None = None) -> dict:
    """A transaction as one wallet sees it: signed amount, the other party, the balance after."""
    outgoing = txn.debit_account_id == viewer_account.id
    other_id = txn.credit_account_id if outgoing else txn.debit_account_id
    if balance_after is None:
        balance_after = viewer_account.balance
    return {"id": txn.id, "type": txn.type, "amount": -txn.amount if outgoing else txn.amount,
            "currency": txn.currency, "balance_after": balance_after, "counterparty": others.get(other_id),
            "status": txn.status, "reference": txn.reference, "note": txn.note, "wallet_id": viewer_account.id,
            "fee": txn.fee or 0, "created_at": clock.iso(txn.created_at)}

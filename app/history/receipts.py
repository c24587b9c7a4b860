"""One transaction as a receipt: what the caller's wallet saw, who was on the other side (the
merchant's name and city, the terminal's label), the refunds made against it, its ledger legs."""
from __future__ import annotations

from sqlalchemy import or_, select

from app.auth.models import User
from app.core import clock
from app.core.errors import not_found
from app.extensions import db
from app.merchant.models import Merchant
from app.pos.offline.models import OfflinePayment
from app.pos.terminals.models import Terminal
from app.wallet.models import Account, Entry, Transaction, Transfer
from app.history.presenters import counterparties, other_account_id
from app.history.sale_times import purse_token_of
from app.wallet.presenters import transaction_out

# Money given back against a payment points at it by related_id.
GIVE_BACK_TYPES = ("refund", "reversal")


def transaction_receipt(user: User, txn_id: str) -> dict:
    """404 unless the caller owns one of the transaction's two accounts."""
    row = db.session.execute(
        select(Transaction, Account).join(Account, or_(Account.id == Transaction.debit_account_id,
                                                       Account.id == Transaction.credit_account_id))
        .where(Transaction.id == txn_id, Account.user_id == user.id, Account.kind == "user")).first()
    if row is None:
        raise not_found("transaction")
    txn, wallet = row
    entry = db.session.execute(select(Entry).where(Entry.transaction_id == txn.id, Entry.account_id == wallet.id)
                               .order_by(Entry.seq.desc()).limit(1)).scalar_one_or_none()
    other_id = other_account_id(txn.debit_account_id, txn.credit_account_id, wallet.id)
    receipt = transaction_out(txn, viewer_account=wallet, others=counterparties({other_id}),
                              balance_after=entry.balance_after if entry else None)
    if entry is not None:
        receipt["amount"] = entry.amount
    receipt |= {"related_id": txn.related_id, "terminal_id": txn.terminal_id,
                "merchant": _merchant(other_account_id(txn.debit_account_id, txn.credit_account_id, wallet.id)),
                "terminal": _terminal(txn.terminal_id), "refunds": _refunds(txn.id), "legs": _legs(txn.id)}
    offline = _offline(txn) if txn.type == "payment" and txn.terminal_id else None
    if offline is not None:  # only on offline sales: other receipts keep their shape
        receipt["offline"] = offline
    return receipt


def _offline(txn: Transaction) -> dict | None:
    """A sale made offline keeps both times: when it sold (the terminal's clock on the code, or
    the phone's in a purse token) and when the payment was posted."""
    sale = db.session.get(OfflinePayment, txn.id)
    if sale is not None:
        return {"sequence": sale.seq, "sold_at": clock.iso(sale.sold_at), "posted_at": clock.iso(sale.paid_at)}
    token = purse_token_of(txn.id)  # both offline: a purse token, posted when its terminal uploaded it
    return None if token is None else {"sequence": None, "purse_id": token.purse_id, "counter": token.counter,
                                       "sold_at": clock.iso(token.sold_at), "posted_at": clock.iso(token.received_at)}


def _merchant(account_id: str) -> dict | None:
    merchant = db.session.execute(select(Merchant).join(Account, Account.merchant_id == Merchant.id)
                                  .where(Account.id == account_id, Account.kind == "merchant")).scalar_one_or_none()
    return None if merchant is None else {"id": merchant.id, "name": merchant.name, "city": merchant.city}


def _terminal(terminal_id: str | None) -> dict | None:
    if terminal_id is None:
        return None
    # Transactions keep terminal_id without a foreign key, so the terminal may be unknown here.
    label = db.session.execute(select(Terminal.label).where(Terminal.id == terminal_id)).scalar_one_or_none()
    return {"id": terminal_id, "label": label}


def _refunds(txn_id: str) -> list[dict]:
    rows = db.session.execute(select(Transaction).where(Transaction.related_id == txn_id,
                                                        Transaction.type.in_(GIVE_BACK_TYPES))
                              .order_by(Transaction.created_at, Transaction.id)).scalars()
    return [{"id": r.id, "type": r.type, "amount": r.amount, "status": r.status, "fee_returned": r.fee,
             "created_at": clock.iso(r.created_at)} for r in rows]


def _legs(txn_id: str) -> list[dict]:
    legs = db.session.execute(select(Transfer).where(Transfer.transaction_id == txn_id)
                              .order_by(Transfer.created_at, Transfer.id)).scalars()
    return [{"id": leg.id, "kind": leg.kind, "debit_account_id": leg.debit_account_id,
             "credit_account_id": leg.credit_account_id, "amount": leg.amount, "currency": leg.currency,
             "pending_id": leg.pending_id, "created_at": clock.iso(leg.created_at)} for leg in legs]

"""Reading history: a wallet's transactions newest first, and one transaction with its legs."""
from __future__ import annotations

from sqlalchemy import or_, select

from app.auth.models import User
from app.core.errors import not_found
from app.core.pagination import decode_cursor, page
from app.extensions import db
from app.wallet.models import Account, Entry, Transaction, Transfer
from app.wallet.presenters import counterparties, iso, transaction_out
from app.wallet.services import owned_wallet


def wallet_transactions(user: User, wallet_id: str, *, limit: int, cursor: str | None) -> dict:
    """One row per entry on the wallet, ordered by the wallet's own entry sequence.

    The sequence only grows, so a cursor ("entries before seq N") never skips or repeats a row
    when new payments arrive between two pages.
    """
    wallet = owned_wallet(user, wallet_id)
    before = decode_cursor(cursor)
    stmt = (select(Entry, Transaction).join(Transaction, Transaction.id == Entry.transaction_id)
            .where(Entry.account_id == wallet.id).order_by(Entry.seq.desc()).limit(limit + 1))
    if before is not None:
        stmt = stmt.where(Entry.seq < before)
    rows = db.session.execute(stmt).all()
    other_ids = {t.credit_account_id if t.debit_account_id == wallet.id else t.debit_account_id for _, t in rows}
    others = counterparties(other_ids)
    items = [(entry.seq, transaction_out(txn, viewer_account=wallet, balance_after=entry.balance_after,
                                         others=others) | {"amount": entry.amount}) for entry, txn in rows]
    result = page(items, limit, position_of=lambda item: item[0])
    result["data"] = [item for _, item in result["data"]]
    return result


def transaction_detail(user: User, txn_id: str) -> dict:
    """The transaction as the caller's wallet sees it, with its ledger legs; 404 unless the
    caller owns one of its two accounts."""
    row = db.session.execute(
        select(Transaction, Account).join(Account, or_(Account.id == Transaction.debit_account_id,
                                                       Account.id == Transaction.credit_account_id))
        .where(Transaction.id == txn_id, Account.user_id == user.id, Account.kind == "user")).first()
    if row is None:
        raise not_found("transaction")
    txn, wallet = row
    entry = db.session.execute(select(Entry).where(Entry.transaction_id == txn.id, Entry.account_id == wallet.id)
                               .order_by(Entry.seq.desc()).limit(1)).scalar_one_or_none()
    legs = db.session.execute(select(Transfer).where(Transfer.transaction_id == txn.id)
                              .order_by(Transfer.created_at, Transfer.id)).scalars()
    detail = transaction_out(txn, viewer_account=wallet, balance_after=entry.balance_after if entry else None)
    if entry is not None:
        detail["amount"] = entry.amount
    detail["legs"] = [{"id": leg.id, "kind": leg.kind, "debit_account_id": leg.debit_account_id,
                       "credit_account_id": leg.credit_account_id, "amount": leg.amount,
                       "currency": leg.currency, "pending_id": leg.pending_id, "created_at": iso(leg.created_at)}
                      for leg in legs]
    return detail

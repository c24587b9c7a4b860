"""Counting what the ledger wrote, to prove that a refused request moved nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import Entry, Transaction


def transaction_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Transaction)).scalar_one()


def entry_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Entry)).scalar_one()


def written(app) -> dict:
    """Every row a money movement writes, counted (transactions, transfers, entries, webhook
    events), with every account's totals and every terminal charge's refunded amount: equal
    before and after a request that was refused."""
    from sqlalchemy import text

    from app.merchant.webhooks.models import WebhookEvent
    from app.wallet.models import Account, Transfer
    with app.app_context():
        counts = {model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
                  for model in (Transaction, Transfer, Entry, WebhookEvent)}
        counts["charges"] = db.session.execute(text(
            "SELECT string_agg(id || ':' || refunded_amount || ':' || updated_at, ',' ORDER BY id) FROM pos_charges"
        )).scalar_one()
        counts["accounts"] = db.session.execute(select(Account.id, Account.debits_posted, Account.credits_posted,
                                                       Account.entry_count).order_by(Account.id)).all()
        db.session.rollback()
        return counts

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

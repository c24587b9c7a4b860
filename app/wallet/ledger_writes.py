"""The ledger's writes without the ORM's flush: a transaction row as one plain INSERT, and the
session told what the database function ledger_post wrote (the ORM's flush machinery was the
largest single cost of a payment in bench.profile).

The session stays truthful: an inserted row is attached to it as a persistent object (a later
change, such as a hold's status, is flushed as usual), and the accounts' new balances are set as
their committed values, so the ORM neither writes them again nor reads stale ones.
"""
from __future__ import annotations

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.wallet import rules
from app.wallet.models import Account

BALANCE_FIELDS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


def insert_row(obj) -> None:
    """INSERT a new mapped object (every column set by its constructor) and make it persistent."""
    if db.session.new:
        db.session.flush()  # rows it may reference (a wallet opened in this unit of work) go first
    table = obj.__table__
    # A column the constructor left unset that has a database default (transactions.fee) takes it.
    values = {column.key: getattr(obj, column.key) for column in table.columns}
    db.session.connection().execute(table.insert(), {key: value for key, value in values.items()
                                                     if value is not None or table.c[key].server_default is None})
    attach(obj)
    defaulted = [key for key, value in values.items() if value is None and table.c[key].server_default is not None]
    if defaulted:
        db.session.expire(obj, defaulted)


def attach(obj) -> None:
    """Make a row the database function wrote a persistent object of the session."""
    make_transient_to_detached(obj)
    db.session.add(obj)


def refresh_balances(balances: dict[str, rules.Balances], transfer_hash: str) -> None:
    """Tell the session what ledger_post wrote for the accounts it holds: their new balances,
    one more entry each, chained to `transfer_hash`. Accounts it has not loaded are left alone."""
    for account_id, after in balances.items():
        account = db.session.identity_map.get(identity_key(Account, account_id))
        if account is None:
            continue
        if account.credit_buckets:  # it may have swept its buckets too: more entries than one
            db.session.expire(account)
            continue
        for name in BALANCE_FIELDS:
            set_committed_value(account, name, getattr(after, name))
        set_committed_value(account, "entry_count", account.entry_count + 1)
        set_committed_value(account, "last_hash", transfer_hash)

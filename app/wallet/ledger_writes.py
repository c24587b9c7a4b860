"""The ledger's writes as plain statements (SQLAlchemy Core) instead of the ORM's flush.

Every payment writes a transaction, a transfer, two entries and two account rows. Through the
ORM's unit of work that took three flushes and five statements; here it is four statements
(the two account updates and the two entries each go as one batch), and much less Python per
statement: the ORM's flush machinery was the largest single cost of a payment in bench.profile.

The session stays truthful: an inserted row is attached to it as a persistent object (a later
change, such as a hold's status, is flushed as usual), and the accounts' new balances are set as
their committed values, so the ORM neither writes them again nor reads stale ones.
"""
from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.wallet import rules
from app.wallet.models import Account, Entry

BALANCE_FIELDS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
_accounts = Account.__table__
_UPDATE_ACCOUNT = update(_accounts).where(_accounts.c.id == bindparam("account_id")).values(
    {name: bindparam(f"new_{name}") for name in (*BALANCE_FIELDS, "entry_count", "last_hash")})


def insert_row(obj) -> None:
    """INSERT a new mapped object (every column set by its constructor) and make it persistent."""
    if db.session.new:
        db.session.flush()  # rows it may reference (a wallet opened in this unit of work) go first
    table = obj.__table__
    db.session.connection().execute(table.insert(), {column.key: getattr(obj, column.key) for column in table.columns})
    make_transient_to_detached(obj)
    db.session.add(obj)


def post(changes: list[tuple[Account, rules.Balances]], transfer_hash: str, entries: list[dict]) -> None:
    """Write the accounts' new balances (each one more entry, chained to `transfer_hash`) and the
    entries, then tell the session these values are what the database now holds."""
    connection = db.session.connection()
    rows = [{"account_id": account.id, **{f"new_{name}": getattr(after, name) for name in BALANCE_FIELDS},
             "new_entry_count": account.entry_count + 1, "new_last_hash": transfer_hash}
            for account, after in changes]
    connection.execute(_UPDATE_ACCOUNT, rows)
    connection.execute(Entry.__table__.insert(), entries)
    for account, after in changes:
        for name in BALANCE_FIELDS:
            set_committed_value(account, name, getattr(after, name))
        set_committed_value(account, "entry_count", account.entry_count + 1)
        set_committed_value(account, "last_hash", transfer_hash)

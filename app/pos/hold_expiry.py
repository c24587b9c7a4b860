"""The hold sweeper (`flask ledger expire-holds`): releases holds past their expiry, and tells
the merchant of a terminal's hold (authorization.expired).

Each release is one database call, hold_expire (app/pos/sql/terminal_holds.sql): it locks the
terminal's row for the hold (a vending authorization or a manual-capture payment request) as a
capture does, releases the hold through hold_settle, and writes the event in the same statement.
So the event exists exactly when the release committed, and once per hold (its resolution is
UNIQUE); a hold captured or voided meanwhile is left as it is. It lives here, not in the wallet,
because it knows terminals; the wallet only lists which holds are due (app.wallet.holds.due).
"""
from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core import clock
from app.core.observability import background_round
from app.core.ids import new_id
from app.core.uow import retrying, single_statement
from app.wallet import holds

log = logging.getLogger(__name__)
_EXPIRE = text("SELECT hold_expire(:txn_id, :now, :transfer_id, :event_id)")


def _expire(txn_id: str) -> bool:
    def attempt() -> bool:  # retried on deadlock or serialization failure, like every payment
        with single_statement() as connection:
            return connection.execute(_EXPIRE, {"txn_id": txn_id, "now": clock.now(), "transfer_id": new_id("trf"),
                                                "event_id": new_id("msg")}).scalar_one()
    return retrying(attempt)


def expire_due(limit: int = 500) -> int:
    """Release up to `limit` holds past their expiry; the number released."""
    released = 0
    for txn_id in holds.due(limit):
        try:
            released += _expire(txn_id)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "P0001":
                raise  # the database is away: the next run tries them all again
            # A hold the ledger refuses to release (raised inside the function, so nothing of it
            # was kept) must not stop the others behind it on every run.
            log.error("hold %s not released: %s", txn_id, exc.orig)
    background_round("hold_expiry", released=released)
    return released

"""Reads outside a unit of work run in autocommit: each statement is its own transaction.

A signed-in GET used to cost two transactions of one SELECT each (the user, then what was
asked for), each sent as BEGIN ... ROLLBACK: three round trips per statement. Worse, psycopg
forgets its prepared statements on every ROLLBACK (it must: a rolled-back PREPARE is gone), so
every statement was parsed and planned afresh on every request. In autocommit there is nothing
to begin or roll back: psycopg sends no BEGIN, its rollback() of an idle connection sends
nothing, and the prepared statements stay with the connection.

So the session picks its engine per transaction (get_bind runs when the session takes a
connection): inside unit_of_work, the engine as configured (a real transaction, BEGIN to
COMMIT, locks held to the end); anywhere else, the same engine in autocommit (one shared pool,
each checkout switched to autocommit and switched back when it is returned).

What that gives up: two reads in one request may see two snapshots (a page and its totals read
a moment apart). Nothing reads under a lock outside a unit of work (FOR UPDATE is meaningless
there), and every write goes through unit_of_work (DESIGN.md: one commit per use case), which
throws away the autocommit connection first and takes a transactional one.

No import of app.extensions here: extensions builds the session from this class.
"""
from __future__ import annotations

import contextvars

from flask_sqlalchemy.session import Session
from sqlalchemy.engine import Engine

# True while a unit_of_work is open in this context (app.core.uow sets it).
in_unit_of_work: contextvars.ContextVar[bool] = contextvars.ContextVar("uow_active", default=False)


def autocommit_engine(engine: Engine) -> Engine:
    """`engine` in autocommit: the same pool, each checkout switched (no round trip: psycopg keeps
    the flag on the client) and switched back on return by SQLAlchemy."""
    found = engine.__dict__.get("_wallet_autocommit")
    if found is None:
        found = engine.__dict__.setdefault("_wallet_autocommit", engine.execution_options(isolation_level="AUTOCOMMIT"))
    return found


class ReadSession(Session):
    """Flask-SQLAlchemy's session, taking an autocommit connection outside a unit of work."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is not None or in_unit_of_work.get() or not isinstance(chosen, Engine):
            return chosen  # a bind the caller chose, a unit of work, or a session joined to a connection
        return autocommit_engine(chosen)

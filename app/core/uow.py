"""The unit of work: one commit per use case, rolled back unless the service commits.

    with unit_of_work() as uow:
        ...change rows...
        uow.commit()

Nesting is refused: a service that calls another public service inside its own unit of work
would commit half of a use case.
"""
from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from app.core.read_session import autocommit_engine, in_unit_of_work as _active
from app.extensions import db

log = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs worth a retry: serialization_failure, deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class UnitOfWork:
    def __init__(self):
        self.committed = False

    def commit(self) -> None:
        db.session.commit()
        self.committed = True


@contextmanager
def unit_of_work():
    if _active.get():
        raise RuntimeError("unit_of_work() is already open: public services must not call each other")
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes outside a unit of work")
    # Hand back the autocommit connection of the reads before it (app.core.read_session; nothing
    # is sent for it), so the unit of work takes a transactional one.
    session.rollback()
    token = _active.set(True)
    uow = UnitOfWork()
    try:
        session.connection()  # BEGIN now, not at the first statement
        yield uow
    finally:
        if not uow.committed:
            session.rollback()
        _active.reset(token)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return sqlstate in _RETRYABLE_SQLSTATES
    return False


def retrying(fn, attempts: int = 8):
    """Run fn (which opens its own unit of work) again after a deadlock or serialization failure.

    The client never sees these: they mean "another transaction won the race; try again".
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info("retrying after %s (attempt %d)", type(exc.orig).__name__, attempt)
            time.sleep(random.uniform(0, 0.005 * 2 ** attempt))


def end_read() -> None:
    """Hand back the connection this request's or job's reads hold: it goes back to the pool (a
    long poll must not keep one while it sleeps). Reads run in autocommit (app.core.read_session),
    so nothing is sent for it; the identity map is emptied, so the next read loads fresh rows.
    Nothing is written here; writes go through unit_of_work, which commits or rolls back.
    A request that has not used the session yet has none to end: the scoped session is not
    created just to roll back nothing (a payment's single_statement(), which then had the
    teardown close it again: 2% of a transfer's instructions, bench.instructions)."""
    if db.session.registry.has():
        db.session.rollback()


@contextmanager
def single_statement():
    """A connection in autocommit mode, for a use case that is one call to a database function:
    the statement is its own transaction, so there is no BEGIN, COMMIT or ROLLBACK to send, one
    round trip in all. It still refuses to run inside an open unit of work."""
    if _active.get():
        raise RuntimeError("single_statement() inside a unit of work would commit on its own")
    end_read()  # hand back the session's connection first: one connection per request at a time
    with autocommit_engine(db.engine).connect() as connection:
        yield connection

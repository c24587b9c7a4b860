"""The unit of work: one commit per use case, rolled back unless the service commits.

    with unit_of_work() as uow:
        ...change rows...
        uow.commit()

Nesting is refused: a service that calls another public service inside its own unit of work
would commit half of a use case.
"""
from __future__ import annotations

import contextvars
import logging
import random
import time
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from app.extensions import db

log = logging.getLogger(__name__)
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("uow_active", default=False)

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
    # Close any read-only transaction left by authentication, so the unit of work starts fresh.
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
    """End the read transaction this request or job holds: the connection goes back to the pool
    and the next statement sees a fresh snapshot. Nothing is written here, so there is nothing to
    lose; writes go through unit_of_work, which commits or rolls back on its own.
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
    end_read()  # hand back any read transaction first: this statement must not wait behind it
    engine = db.engine
    autocommit = engine.__dict__.get("_wallet_autocommit")
    if autocommit is None:  # shares the engine's pool; each checkout is switched to autocommit
        autocommit = engine.__dict__.setdefault("_wallet_autocommit",
                                                engine.execution_options(isolation_level="AUTOCOMMIT"))
    with autocommit.connect() as connection:
        yield connection

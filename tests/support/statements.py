"""Counting what one request sends to PostgreSQL: statements and round trips.

    with counted(app) as sent:
        api.topup(alice, 100)
    sent.statements, sent.round_trips

A statement is one cursor execution (a SELECT, an INSERT, a function call). A round trip is a
statement or a transaction command the driver sends on its own (BEGIN is sent with the first
statement by psycopg, so it is not counted; COMMIT and ROLLBACK are, outside autocommit, where
they are no-ops). Unlike time, these figures do not vary between runs, so tests may bound them.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event


@dataclass
class Sent:
    sql: list[str] = field(default_factory=list)
    ends: int = 0  # COMMITs and ROLLBACKs that went to the server

    @property
    def statements(self) -> int:
        return len(self.sql)

    @property
    def round_trips(self) -> int:
        return self.statements + self.ends


def _autocommit(conn) -> bool:
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


@contextmanager
def counted(app):
    """Everything the app's engine sends inside the block, from any thread."""
    from app.extensions import db
    sent = Sent()

    def on_execute(_conn, _cursor, statement, *_):
        sent.sql.append(statement)

    def on_end(conn):
        if not _autocommit(conn):
            sent.ends += 1

    with app.app_context():
        engine = db.engine
    listeners = [("before_cursor_execute", on_execute), ("commit", on_end), ("rollback", on_end)]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield sent
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)

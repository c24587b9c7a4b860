"""One statement sent straight through psycopg: the payment functions' calls.

A payment is one call to a database function (app/wallet/sql/), the same text every time,
answering one row. Sent through SQLAlchemy's Connection.execute, the call cost a fifth of a
transfer's Python (bench.instructions profile): compiling the text clause's parameters for each
call, then building its result and row objects. Here the clause's SQL is turned once into
psycopg's %(name)s style and kept, and the row comes back as a named tuple (read by attribute,
as SQLAlchemy's Row is).

What SQLAlchemy did that is kept: an error comes back as sqlalchemy.exc.DBAPIError (uow.retrying
and the refusal readers look at its .orig), and a connection found broken is invalidated, so the
pool does not hand it out again; and listeners of the engine's before/after_cursor_execute events
see the call as they see any other. The statement counters (app.core.sql_counts) sit below, in
psycopg, and count these calls as before.
"""
from __future__ import annotations

import re

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import TextClause
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

# SQLAlchemy's own pattern for a text clause's :name parameters (not a ::cast, not 'HH24:MI').
_BIND = re.compile(r"(?<![:\w\x5c]):(\w+)(?!:)")
_native: dict[str, str] = {}


def native_sql(statement: TextClause) -> str:
    """The clause's SQL with psycopg's placeholders (and any literal % doubled), made once."""
    source = statement.text
    found = _native.get(source)
    if found is None:
        found = _native.setdefault(source, _BIND.sub(r"%(\1)s", source.replace("%", "%%")))
    return found


def execute_one(connection: Connection, statement: TextClause, params: dict):
    """Run `statement` on the connection's psycopg connection; its first row (None if none)."""
    sql = native_sql(statement)
    raw = connection.connection.driver_connection
    try:
        with raw.cursor(row_factory=namedtuple_row) as cursor:
            # Listeners of the engine's cursor events (tracing, the tests' statement counts) still
            # see the call; with none, nothing is dispatched.
            watched = connection.dispatch.before_cursor_execute
            if watched:
                watched(connection, cursor, sql, params, None, False)
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if connection.dispatch.after_cursor_execute:
                connection.dispatch.after_cursor_execute(connection, cursor, sql, params, None, False)
            return row
    except psycopg.Error as exc:
        broken = connection.dialect.is_disconnect(exc, raw, None)
        if broken:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=broken) from None

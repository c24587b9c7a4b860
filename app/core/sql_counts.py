"""Counting what the app asks of PostgreSQL, for the benchmark (SQL_COUNTS_DIR; off by default).

pg_stat_statements needs shared_preload_libraries and a server restart, which a shared or
managed server may not allow, and it cannot tell round trips from statements. So the app counts
in its own process, at the driver (psycopg), below SQLAlchemy, so that statements sent on a raw
connection (the payment functions) are counted too:

- statements: cursor execute / executemany calls;
- round trips: statements, plus every command psycopg sends on its own (BEGIN, COMMIT,
  ROLLBACK, DEALLOCATE ALL) and every separate Parse of a statement it prepares;
- transactions: BEGINs, plus statements run in autocommit (each is a transaction of its own);
- requests: HTTP requests answered.

Each process writes its totals to <SQL_COUNTS_DIR>/<pid>.json every 0.2 s; the bench sums the
files before and after a workload and divides the differences by the requests
(bench/statements.py).
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
# Private modules: the methods every connection and cursor class sends through live there.
from psycopg._connection_base import BaseConnection
from psycopg._cursor_base import BaseCursor

FIELDS = ("requests", "statements", "round_trips", "transactions")
_counts: Counter = Counter()
_lock = threading.Lock()
_writer_pid: int | None = None  # the process whose writer thread runs (gunicorn forks workers)
_installed = False


def count(**amounts: int) -> None:
    with _lock:
        _counts.update(amounts)


def install_driver() -> None:
    """Wrap psycopg's sending methods, once per process (the tests count with snapshot() too)."""
    global _installed
    if not _installed:
        _installed = True
        _wrap_driver()


def snapshot() -> dict[str, int]:
    """The totals so far; the difference of two is what was sent in between."""
    with _lock:
        return {name: _counts[name] for name in FIELDS}


def install(app, directory: str) -> None:
    """Wrap psycopg's sending methods (once per process) and count the app's requests."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    install_driver()

    @app.after_request
    def _counted(response):
        count(requests=1)
        _start_writer(folder)
        return response


def _wrap_driver() -> None:
    def statements(original):
        def wrapper(cursor, *args, **kwargs):
            conn = cursor.connection
            # Outside autocommit psycopg first sends a BEGIN of its own (_exec_command, below).
            alone = conn.autocommit and conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
            count(statements=1, round_trips=1, transactions=int(alone))
            return original(cursor, *args, **kwargs)
        return wrapper

    def command(original):
        def wrapper(conn, command, *args, **kwargs):
            text = command if isinstance(command, bytes) else str(command).encode()
            count(round_trips=1, transactions=int(text.lstrip().upper().startswith(b"BEGIN")))
            return original(conn, command, *args, **kwargs)
        return wrapper

    def prepare(original):
        def wrapper(cursor, *args, **kwargs):
            if not cursor.connection._pipeline:  # in a pipeline it travels with the statement
                count(round_trips=1)
            return original(cursor, *args, **kwargs)
        return wrapper

    psycopg.Cursor.execute = statements(psycopg.Cursor.execute)
    psycopg.Cursor.executemany = statements(psycopg.Cursor.executemany)
    BaseConnection._exec_command = command(BaseConnection._exec_command)
    BaseCursor._send_prepare = prepare(BaseCursor._send_prepare)


def _start_writer(folder: Path) -> None:
    global _writer_pid
    if _writer_pid == os.getpid():
        return
    _writer_pid = os.getpid()
    threading.Thread(target=_write_forever, args=(folder,), daemon=True, name="sql-counts").start()


def _write_forever(folder: Path) -> None:
    path = folder / f"{os.getpid()}.json"
    while True:
        with _lock:
            snapshot = {name: _counts[name] for name in FIELDS}
        partial = path.with_suffix(".tmp")
        try:
            partial.write_text(json.dumps(snapshot))
            partial.replace(path)  # atomic: the bench never reads half a file
        except OSError:
            return  # the directory is gone (the run that reads it ended): counting is not the app's job
        time.sleep(0.2)


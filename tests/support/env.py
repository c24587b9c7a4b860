"""Where the suite runs: on PostgreSQL, the server at TEST_DATABASE_URL (CI gives the machine's
PostgreSQL 15), else a private embedded one under instance/test-pgdata (the same as the app's
embedded default). Each pytest-xdist worker gets a database of its own on that server. Redis
when TEST_REDIS_URL is set, the database-backed store otherwise."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core.embedded_postgres import create_database, start

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _database_url() -> str:
    """This worker's database: TEST_DATABASE_URL's (or the embedded server's), suffixed with the
    xdist worker id so that parallel workers never share tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = make_url(base).set(drivername="postgresql+psycopg")
        name = f"{url.database}_{worker}" if worker else url.database
        create_database(url.render_as_string(hide_password=False), name)
        return url.set(database=name).render_as_string(hide_password=False)
    return start(ROOT / "instance" / "test-pgdata", f"wallet_test_{worker or 'main'}")


TEST_DATABASE_URL = _database_url()


# The statement-count tests bound what a request sends to PostgreSQL with the production layout,
# Redis holding the security state. Without Redis the database-backed store adds its own
# kv_entries statements to every request, so those bounds do not apply (bin/test with neither
# service); CI runs them with Redis.
NEEDS_REDIS_FOR_COUNTS = "statement counts assume Redis holds the security state (set TEST_REDIS_URL)"

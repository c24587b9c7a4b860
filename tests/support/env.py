"""Where the suite runs: SQLite + the database store by default, PostgreSQL + Redis when
TEST_DATABASE_URL and TEST_REDIS_URL are set (CI runs both)."""
from __future__ import annotations

import os

import pytest

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (set TEST_DATABASE_URL): "
                                   "SQLite has no row locks, so concurrency is proven there")

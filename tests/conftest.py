"""Shared fixtures. The suite runs on PostgreSQL: the server at TEST_DATABASE_URL (CI gives the
machine's PostgreSQL 15), else a private embedded one under instance/test-pgdata (the same as
the app's embedded default). Each pytest-xdist worker gets a database of its own on that server.
Redis when TEST_REDIS_URL is set, the database-backed store otherwise.

The schema is built once per run with the Alembic migrations (not create_all), so the tests
also prove that the migrations build what the models describe.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app
from app.core import clock
from app.extensions import db, limiter
from app.qr.devices import scanning
from app.wallet.fees import seed_fee_settings
from app.wallet.limits import seed_tiers
from tests.support.api import Api
from tests.support.checked_client import install, take_mismatches
from tests.support.env import TEST_REDIS_URL
from tests.support.settings import app_settings


def _reset_schema(app) -> None:
    from flask_migrate import upgrade
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    application = create_app(app_settings(tmp_path_factory))
    _reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def _truncate(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            seed_tiers(conn, app.config["TIERS"])  # every user row refers to a tier
            seed_fee_settings(conn)  # no fees, as a fresh database has
        scanning.forget_devices()  # a device cached by handle would outlive its truncated row
        store = app.extensions["store"]
        if TEST_REDIS_URL:
            for key in store.client.scan_iter(store.prefix + "*"):
                store.client.delete(key)
        limiter.reset()


@pytest.fixture(autouse=True)
def clean_state(request):
    clock.reset()
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        _truncate(app)
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def answers_match_the_document(request):
    """Every test client checks each JSON answer against the OpenAPI document
    (tests/support/checked_client.py); a mismatch that a thread swallowed fails the test here."""
    if "app" in request.fixturenames:
        install(request.getfixturevalue("app"))
    take_mismatches()
    yield
    mismatches = take_mismatches()
    assert not mismatches, "answers that the OpenAPI document does not describe:\n" + "\n".join(mismatches)


@pytest.fixture
def client(app):
    install(app)
    return app.test_client()


@pytest.fixture
def api(app, client):
    return Api(app, client)


@pytest.fixture
def truncate(app):
    """Empty every table and the store now: for a test that runs many examples (hypothesis)."""
    return lambda: _truncate(app)

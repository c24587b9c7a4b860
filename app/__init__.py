"""The application factory: settings, extensions, blueprints, error handlers, docs."""
from __future__ import annotations

import atexit
import importlib
import logging
from pathlib import Path

from flask import jsonify, send_from_directory
from flask_openapi3 import Info, OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import load_config
from app.core.errors import register_error_handlers, validation_error_response
from app.core.guards import register_guards
from app.core import header_params
from app.core.openapi_doc import WalletOpenAPI
from app.core.headers import register_security_headers
from app.core.no_sessions import NoSessions
from app.core.observability import register_observability
from app.core.schemas import ERROR_RESPONSES
from app.core.notify import Notifier
from app.core.store import DatabaseStore, RedisStore
from app.extensions import db, limiter, migrate
from app.merchant.api_keys.auth import SECURITY_SCHEMES as MERCHANT_API_SCHEMES
from app.pos.auth import SECURITY_SCHEMES as TERMINAL_SCHEMES

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}, **TERMINAL_SCHEMES,
                    **MERCHANT_API_SCHEMES}


def create_app(overrides: dict | None = None) -> OpenAPI:
    instance_path = Path((overrides or {}).get("INSTANCE_PATH") or ROOT / "instance")
    app = WalletOpenAPI(__name__, info=Info(title="Wallet API", version="1.0.0"), security_schemes=SECURITY_SCHEMES,
                  validation_error_status=422, validation_error_callback=validation_error_response,
                  responses=ERROR_RESPONSES,
                  doc_ui=False, instance_path=str(instance_path), static_folder=str(ROOT / "static"))
    app.config.update(load_config(instance_path))
    app.config.update(overrides or {})
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.json.sort_keys = False
    app.session_interface = NoSessions()  # bearer tokens, not cookies (app/core/no_sessions.py)
    header_params.install()  # header models read without copying every header (app/core/header_params.py)
    if app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"])

    _init_database(app)
    _init_store(app)
    limiter.init_app(app)
    register_error_handlers(app)
    register_guards(app)
    register_security_headers(app)
    register_observability(app)
    _register_blueprints(app)
    _connect_events()
    if app.config.get("SQL_COUNTS_DIR"):
        from app.core import sql_counts
        sql_counts.install(app, app.config["SQL_COUNTS_DIR"])
    _register_docs(app)
    from app.pages import register_pages
    register_pages(app)
    from app.cli import register_cli
    register_cli(app)
    return app


def _init_database(app: OpenAPI) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        # The embedded default: a private PostgreSQL under instance/ (the same engine as production).
        from app.core.embedded_postgres import start
        app.config["SQLALCHEMY_DATABASE_URI"] = start(Path(app.instance_path) / "pgdata", "wallet")
        log.warning("DATABASE_URL is not set: using the embedded PostgreSQL under %s/pgdata", app.instance_path)
        atexit.register(_close_connections, app)  # runs before the server's own stop (atexit is LIFO)
    # No pre-ping: it costs a round trip on every checkout. A connection the server dropped fails
    # its statement instead; the unit of work retries what is safe to retry.
    # LIFO: the connection handed back last is handed out next, so a worker keeps using the few
    # connections its load needs, whose statements psycopg has already prepared (on a statement's
    # 5th use per connection); first-in-first-out cycled through all ten, each preparing anew.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_size": 10, "max_overflow": 20, "pool_use_lifo": True})
    importlib.import_module("app.models")  # every table known before anything queries or migrates
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))


def _close_connections(app: OpenAPI) -> None:
    with app.app_context():
        db.engine.dispose()


def _init_store(app: OpenAPI) -> None:
    prefix = app.config.get("REDIS_PREFIX", "wallet:")
    if app.config["REDIS_URL"]:
        store = RedisStore(app.config["REDIS_URL"], prefix=prefix)
        app.extensions["store"] = store
        app.extensions["notifier"] = Notifier(app.config["REDIS_URL"], prefix=prefix)
    else:
        app.extensions["store"] = DatabaseStore(lambda: db.engine)
        app.extensions["notifier"] = Notifier(None)
        if not app.config["TESTING"]:
            log.warning("REDIS_URL is not set: security state is kept in the database and rate limits "
                        "are counted per process (the embedded default)")


def _register_blueprints(app: OpenAPI) -> None:
    from app.auth.routes import account_api, auth_api
    from app.health import health_api
    from app.checkout.confirmations.routes import confirmations_api
    from app.checkout.orders.routes import orders_api, staff_orders_api
    from app.checkout.qr_payments.routes import qr_payments_api
    from app.history.routes import history_api, merchant_history_api
    from app.merchant.api_keys.routes import api_keys_api
    from app.merchant.webhooks.routes import webhooks_api
    from app.merchant.routes import admin_api, merchant_api
    from app.merchant.staff.routes import staff_api
    from app.ops.adjustments.routes import adjustments_api
    from app.ops.audit.routes import audit_api
    from app.ops.console.routes import console_api
    from app.ops.freezes.routes import freezes_api, my_freezes_api
    from app.ops.fees.routes import fees_api
    from app.ops.operators.routes import operators_api
    from app.ops.tiers.routes import tiers_api
    from app.pos.batches.routes import batches_api, settlements_api
    from app.pos.charges.routes import charges_api
    from app.pos.offline.routes import offline_api, offline_staff_api
    from app.pos.payment_requests.routes import payment_requests_api
    from app.pos.purse.routes import purse_api, purse_ops_api
    from app.pos.terminals.routes import terminal_config_api, terminals_api
    from app.pos.vending.routes import vending_api
    from app.qr.devices.routes import devices_api
    from app.qr.routes import qr_api, qr_image_api
    from app.wallet.routes import wallet_api
    for blueprint in (health_api, auth_api, account_api, wallet_api, history_api, admin_api, merchant_api, qr_api, qr_image_api, qr_payments_api,
                      terminals_api, terminal_config_api, payment_requests_api, charges_api, confirmations_api,
                      vending_api, batches_api, settlements_api, api_keys_api, webhooks_api, orders_api, staff_orders_api,
                      merchant_history_api, staff_api, offline_api, offline_staff_api, operators_api,
                      adjustments_api, audit_api, console_api, purse_api, purse_ops_api, tiers_api,
                      freezes_api, my_freezes_api, fees_api, devices_api):
        app.register_api(blueprint)


def _connect_events() -> None:
    """Features announce what happened; those above listen. Wired here so it is visible in one place."""
    from app.auth.events import account_verified
    from app.wallet.services import open_first_wallet
    account_verified.connect(open_first_wallet, weak=False)


def _register_docs(app: OpenAPI) -> None:
    @app.get("/openapi.json", doc_ui=False)
    def openapi_document():
        return jsonify(app.api_doc)

    @app.get("/docs", doc_ui=False)
    def api_docs_page():
        return send_from_directory(ROOT / "static", "docs.html")

    # Swagger UI's files, from the flask-openapi3-swagger wheel: served by us, so the page needs no
    # internet. The package's own page is not used: its inline script would need 'unsafe-inline'
    # in the page's Content-Security-Policy; static/docs.js starts the UI instead.
    swagger_files = Path(importlib.import_module("flask_openapi3_swagger").__file__).parent / "templates" / "swagger"

    def api_docs_files(filename: str):
        return send_from_directory(swagger_files, filename, max_age=86400)
    app.add_url_rule("/docs/swagger/<path:filename>", "api_docs_files", api_docs_files)  # a plain route: files

"""What an operator watches: one JSON log line per request, a request id, Prometheus metrics.

Log line (structlog, JSON, logger "wallet.request"): method, route template (never the URL with
its query, which may carry a cursor or a code), status, duration_ms, request_id, and who called
(user_id, terminal_id or merchant_id) when the request got that far. Never a body, a header
value, a token, a PIN, an OTP or a payment code.

Request id: the caller's `X-Request-Id` when it is a short safe token (a load balancer's), else a
new one; echoed back on every answer, and bound to structlog's context so that any line logged
while the request runs carries it.

Metrics: one after_request hook times each request once, for the log line and the histogram (the
reason we do not add prometheus-flask-exporter, which the design guide names: it would install a
second set of hooks and its own public endpoint). With several worker processes (gunicorn,
granian) prometheus_client's multiprocess mode adds them up: app.serve points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start. `GET /metrics` answers only
with `Authorization: Bearer <METRICS_TOKEN>` and is a 404 when no token is configured, so it is
never public by accident.
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
import sys
import time

import structlog
from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from app.core.errors import not_found
from app.core.request_ids import SAFE_REQUEST_ID

HTTP_REQUESTS = Counter("wallet_http_requests_total", "HTTP requests by route template and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("wallet_http_request_duration_seconds", "Time to answer, by route template",
                         ["method", "route"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
REFUSALS = Counter("wallet_refusals_total", "Requests answered with our error envelope, by code", ["code"])
PAYMENTS = Counter("wallet_payments_total", "Money-moving requests by kind and outcome", ["kind", "outcome"])
REPLAYS = Counter("wallet_idempotent_replays_total",
                  "Answers given again from an Idempotency-Key's stored answer, by route template",
                  ["method", "route"])
LONG_POLLS = Gauge("wallet_long_polls_waiting", "Terminals waiting in a long poll now",
                   multiprocess_mode="livesum")
DB_POOL_IN_USE = Gauge("wallet_db_pool_connections_in_use", "Database connections checked out of the pool",
                       multiprocess_mode="livesum")
# The background processes (the webhook worker, the hold sweeper, order expiry) count what they do
# here too. They are other processes: their figures reach /metrics when they run with the same
# PROMETHEUS_MULTIPROC_DIR as the servers on one host (README, Watching it).
BACKGROUND_RUNS = Counter("wallet_background_runs_total", "Rounds of a background job", ["job"])
BACKGROUND_ITEMS = Counter("wallet_background_items_total", "What a background job did, by outcome",
                           ["job", "outcome"])

# The endpoints that move money, and what to call them on a dashboard.
PAYMENT_ROUTES = {
    "wallet.transfer": "transfer",
    "wallet.topup": "topup",
    "qr_payments.pay": "qr_payment",
    "pos_charges.create_charge": "terminal_charge",
    "pos_charges.refund_charge": "refund",
    "pos_charges.reverse_charge": "reversal",
    "orders.refund_order": "refund",
    "customer_payments.confirm_payment": "confirmed_charge",
    "pos_payment_requests.capture_payment_request": "capture",
    "pos_payment_requests.void_payment_request": "void",
    "pos_vending.authorize": "vending_authorize",
    "pos_vending.capture_authorization": "capture",
    "pos_vending.void_authorization": "void",
}


def configure_logging(*, cache: bool = False) -> None:
    """JSON lines on stderr, for the request log and everything logged through structlog.

    `cache`: each logger builds its processor chain once, on first use, instead of on every line
    (the request log line: 25 -> 11 us). Off under test: structlog.testing.capture_logs swaps the
    processors, which a logger that cached them would not see."""
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.processors.JSONRenderer()],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=cache)


def register_observability(app: Flask) -> None:
    configure_logging(cache=not app.testing)
    request_log = structlog.get_logger("wallet.request")

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        offered = request.headers.get("X-Request-Id", "")
        g.request_id = offered if SAFE_REQUEST_ID.fullmatch(offered) else "req_" + secrets.token_hex(12)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id") or "req_" + secrets.token_hex(12)  # a guard refused before _start
        response.headers["X-Request-Id"] = request_id
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        status = response.status_code
        _child(HTTP_REQUESTS, request.method, route, status).inc()
        _child(HTTP_LATENCY, request.method, route).observe(seconds)
        _count_pool()
        if g.get("error_code"):
            _child(REFUSALS, g.error_code).inc()
        if g.get("idempotent_replay"):  # set by app.core.idempotency.note_replay
            _child(REPLAYS, request.method, route).inc()
        kind = PAYMENT_ROUTES.get(request.endpoint or "")
        if kind is not None:
            _child(PAYMENTS, kind, "succeeded" if status < 300 else "refused").inc()
        if app.config.get("REQUEST_LOG", True):
            replayed = {"replayed": True} if g.get("idempotent_replay") else {}
            request_log.info("request", method=request.method, route=route, status=response.status_code,
                             duration_ms=round(seconds * 1000, 2), **replayed, **_caller())
        return response



def server_refusal(*, method: str, route: str, status: int, code: str, seconds: float, request_id: str,
                   log_line: bool = True) -> None:
    """A request the server bridge answered itself before Flask (app.core.rsgi_bridge: 408, 413,
    414, 431), counted and logged as _finish does Flask's answers; no caller is known yet."""
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)
    REFUSALS.labels(code).inc()
    if log_line:
        structlog.get_logger("wallet.request").info(
            "request", method=method, route=route, status=status, duration_ms=round(seconds * 1000, 2),
            request_id=request_id, error_code=code, answered_by="server")


_children: dict[tuple, object] = {}


def _child(metric, *labels):
    """metric.labels(*labels), remembered: labels() checks and converts its values and takes a
    lock on every call, and the same few combinations come back on every request. The set is no
    larger than prometheus_client's own (it keeps every child it made)."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*(str(label) for label in labels))
    return child


_pool_reported: list = [None]  # the last figure set, per process


def _count_pool() -> None:
    """How many of this process's pooled connections are in use (O(1): the pool's own counter).
    Set only when it changed: under PROMETHEUS_MULTIPROC_DIR each set is a locked write to the
    process's metrics file, and between requests the figure is nearly always the same."""
    from app.extensions import db
    try:
        in_use = db.engine.pool.checkedout()
    except Exception:  # no engine yet (a guard refused before any use): nothing to report
        return
    if in_use != _pool_reported[0]:
        _pool_reported[0] = in_use
        DB_POOL_IN_USE.set(in_use)


def background_round(job: str, **items: int) -> None:
    """One round of a background job and what it did, e.g. background_round("hold_expiry", released=3)."""
    BACKGROUND_RUNS.labels(job).inc()
    for outcome, count in items.items():
        if count:
            BACKGROUND_ITEMS.labels(job, outcome).inc(count)


def _caller() -> dict:
    """Who made the request, as far as authentication got (ids only), read from what the three
    authentications leave in flask.g: a user token's claims, a terminal, a merchant's API key."""
    found = {}
    claims = g.get("claims")
    if claims:
        found["user_id"] = claims.get("sub")
    terminal = g.get("terminal")
    if terminal is not None:
        found["terminal_id"], found["merchant_id"] = terminal.id, terminal.merchant_id
    if g.get("merchant_id"):
        found["merchant_id"] = g.merchant_id
    return found


def metrics_response():
    """Prometheus text format, for the scraper holding METRICS_TOKEN (see the module's docstring)."""
    from flask import current_app
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not token or not hmac.compare_digest(offered.encode(), token.encode()):
        raise not_found("page")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    _refresh_gauges()
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


OUTBOX_BACKLOG = Gauge("wallet_webhook_backlog", "Webhook deliveries not yet delivered or given up",
                       multiprocess_mode="liveall")


def _refresh_gauges() -> None:
    """Values read at scrape time: the webhook outbox's backlog (one COUNT on an indexed column)."""
    from sqlalchemy import text
    from app.core.uow import end_read
    from app.extensions import db
    try:
        OUTBOX_BACKLOG.set(db.session.execute(text(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")).scalar_one())
    except Exception:  # a metric must not fail the scrape; the log says why
        logging.getLogger(__name__).exception("metrics: webhook backlog")
    finally:
        end_read()

"""The request id, carried from the HTTP request into the work it causes.

A request's id (app.core.observability takes it from `X-Request-Id` or makes one) is kept in
flask.g and on structlog's context. The webhook events a request emits keep it (column
webhook_events.request_id), so that the worker's delivery, its log line and the receiver's
`X-Request-Id` header name the request that caused them:

- events emitted in Python (app.merchant.events.emit) take it from current_request_id();
- events emitted inside a payment function (webhook_emit, app/merchant/sql/webhook_emit.sql) read
  the transaction-local setting `wallet.request_id`, which carrying_request_id sets in the same
  statement as the call: a payment stays one database call, and no payment function needs one
  more argument for it.
"""
from __future__ import annotations

import re

from flask import g, has_request_context
from sqlalchemy import TextClause, text

SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_CALL = "SELECT * FROM "
_wrapped: dict[str, TextClause] = {}


def current_request_id() -> str | None:
    """The id of the request being served, or None outside one (a CLI job, the worker)."""
    return g.get("request_id") if has_request_context() else None


def carrying_request_id(statement: TextClause) -> TextClause:
    """`SELECT * FROM f(...)` made to set wallet.request_id (for this transaction) before f runs.

    The setting is made in an inner subquery whose select list is volatile, so PostgreSQL neither
    flattens it nor evaluates f first: f is computed once, in the row above it. The statement
    then needs the parameter `http_request_id` (request_id_param(); not `request_id`, which names a
    payment request in request_hold_settle)."""
    source = statement.text
    wrapped = _wrapped.get(source)
    if wrapped is None:
        if not source.startswith(_CALL):
            raise ValueError("carrying_request_id wraps a 'SELECT * FROM f(...)' statement")
        call = source.removeprefix(_CALL)
        wrapped = _wrapped.setdefault(source, text(
            f"SELECT (called.f).* FROM (SELECT {call} AS f FROM "
            f"(SELECT set_config('wallet.request_id', :http_request_id, true)) AS request) AS called"))
    return wrapped


def request_id_param() -> dict:
    """The `http_request_id` parameter of a statement made by carrying_request_id ('' outside a request)."""
    return {"http_request_id": current_request_id() or ""}

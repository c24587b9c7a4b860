"""Headers every response carries, set in one after_request hook.

- No MIME sniffing, no referrer (URLs hold ids), no framing (clickjacking).
- A content security policy: JSON, images and everything else may load nothing and be framed by
  nothing; the web pages under static/ (and /docs) may run their own scripts and styles, fetch
  from this origin, and nothing else: no inline script or style, no other host.
- HSTS in production only: development and the tests run over plain HTTP on localhost, where a
  browser would remember it for the whole host.
- `Cache-Control: no-store` on every /api/ answer (tokens, secrets, balances), unless the route
  chose its own: the QR pictures are public and cached on purpose.
- Retry-After only where a route or the error handler put it: a 429, and refusals that say how
  long a lock lasts. Flask-Limiter's own headers are off (app.extensions): it stamped a
  Retry-After on every answer of a limited route, successes included. X-RateLimit-* are written
  here instead, for the limit that applied.
- No Content-Type on a 204 (Flask gives every response one, text/html by default).
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from app.extensions import limiter

log = logging.getLogger(__name__)

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=63072000; includeSubDomains"  # two years


def security_headers(response: Response) -> Response:
    headers = response.headers
    # The names the answer has, read once: werkzeug's `name in headers` and pop() of a missing
    # name raise and catch an exception each (this hook ran six of them per answer).
    present = {name.lower() for name, _ in headers}
    headers.set("X-Content-Type-Options", "nosniff")
    headers.set("Referrer-Policy", "no-referrer")
    headers.set("X-Frame-Options", "DENY")
    if "content-security-policy" not in present:  # a route may choose its own: the service worker (app/pages.py)
        headers.add("Content-Security-Policy", PAGE_POLICY if response.mimetype == "text/html" else JSON_POLICY)
    if current_app.config["APP_ENV"] == "production":
        headers.set("Strict-Transport-Security", HSTS)
    if "cache-control" not in present and request.path.startswith("/api/"):
        headers.add("Cache-Control", "no-store")
    if response.status_code < 400 and "retry-after" in present:
        del headers["Retry-After"]
    _rate_limit_headers(response)
    if response.status_code == 204 and "content-type" in present:
        del headers["Content-Type"]
    return response


def _rate_limit_headers(response: Response) -> None:
    current = limiter.current_limit if limiter.enabled else None
    if current is None:
        return
    try:  # reads the window from the limiter's storage
        limit, remaining, reset_at = current.limit.amount, current.remaining, current.reset_at
    except Exception:  # noqa: BLE001 - informational headers must not fail an answer
        log.warning("rate limit headers left out: the limiter's storage did not answer")
        return
    response.headers["X-RateLimit-Limit"] = str(limit)
    response.headers["X-RateLimit-Remaining"] = str(remaining)
    response.headers["X-RateLimit-Reset"] = str(reset_at)


def register_security_headers(app: Flask) -> None:
    app.after_request(security_headers)

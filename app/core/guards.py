"""Checks every request passes before any route sees it."""
import re

from flask import Flask, current_app, request

from app.core.errors import AppError, Code

# A JSON string, escapes included (the unrolled form: linear, no backtracking).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, brackets inside strings not counted.
    Needs no valid JSON: it is read before parsing, which is what it protects."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


# Left to its own check: a malformed key is 400 idempotency_key_invalid (app.core.idempotency).
_HEADERS_CHECKED_ELSEWHERE = frozenset({"idempotency-key"})
_HEADER_KEYS = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")  # the environ keys werkzeug reads headers from


def _nul_in_request() -> str | None:
    """Where the request carries a NUL once decoded ("path", "query.<name>", "header.<name>",
    "body"), or None."""
    if "\x00" in request.path:
        return "path"
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    # The decoded query holds a NUL only where the raw one has "%00" or a NUL itself: the parsed
    # arguments (a MultiDict built per request) are looked at only then.
    if "%00" in query or "\x00" in query:
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return f"query.{name.replace(chr(0), '')}"
    # Likewise the headers: werkzeug's view of them (names rebuilt for every header) only when a
    # raw environ entry holds a NUL, to say which one.
    if any("\x00" in key or (isinstance(value, str) and "\x00" in value) for key, value in environ.items()
           if key.startswith(_HEADER_KEYS)):
        for name, value in request.headers.items():
            if ("\x00" in value or "\x00" in name) and name.lower() not in _HEADERS_CHECKED_ELSEWHERE:
                return f"header.{name}"
    body = request.get_data(cache=True)
    if b"\x00" in body or b"\\u0000" in body:
        return "body"
    return None


def _refuse_body(message: str, field_message: str) -> AppError:
    return AppError(Code.VALIDATION_ERROR, message, {"fields": [{"field": "body", "message": field_message}]})


def _force_close_under_gunicorn(wsgi_app):
    """gunicorn drops a `Connection` header the app sends (hop-by-hop) and keeps the connection
    alive, then fails on the unread body (measured: a 413 said keep-alive and the next request
    got RemoteDisconnected). Its start_response is a method of its Response, whose force_close()
    makes it send `Connection: close` and close: called when our answer asks for it. Other
    servers pass the header through (granian, Werkzeug's) and have no such method."""
    def middleware(environ, start_response):
        def start(status, headers, exc_info=None):
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if force_close is not None and any(name.lower() == "connection" and value.lower() == "close"
                                               for name, value in headers):
                force_close()
            return start_response(status, headers, exc_info)
        return wsgi_app(environ, start)
    return middleware


def register_guards(app: Flask) -> None:
    def refuse_nul_characters():
        """PostgreSQL text cannot hold NUL: a NUL that reached a query failed there as a 500
        (psycopg.DataError), even in a look-up that should have found nothing. Refused at the door
        as bad input wherever it can come from once decoded: the path (its parameters), the query
        (names and values: `?device_id=%00`), the headers (ids such as X-Terminal-Id) and the body.
        Other control characters are left to the schemas (NO_CONTROLS on every id parameter)."""
        where = _nul_in_request()
        if where:
            raise AppError(Code.VALIDATION_ERROR, "NUL characters are not accepted",
                           {"fields": [{"field": where, "message": "contains a NUL character"}]})

    def refuse_deep_json():
        """Python's JSON parser recurses once per level: a couple of kilobytes of brackets raise
        RecursionError, which `request.get_json(silent=True)` does not catch (only ValueError), so
        it was a 500 with a stack trace before authentication. No body of ours nests more than a
        few levels; the raw body is measured before anything parses it."""
        if not request.is_json:
            return  # get_json (ours, the schemas', the rate limits' key functions) parses only JSON
        body = request.get_data(cache=True)
        limit = current_app.config["MAX_JSON_DEPTH"]
        if body.count(b"[") + body.count(b"{") > limit and json_depth(body) > limit:
            raise _refuse_body(f"JSON nested deeper than {limit} levels is not accepted",
                               f"nested deeper than {limit} levels")

    def close_after_unread_body(response):
        """An answer given without reading the whole body (413, or any refusal before the guards
        above read it) leaves the rest of the body on the connection: the server would read it as
        the next request, or drop the connection under a keep-alive client's next request
        (RemoteDisconnected). `Connection: close` tells the client to open a new one; gunicorn
        closes after the answer when the app sends it. (The production server reads every body
        before Flask runs: app.core.rsgi_bridge.)"""
        has_body = request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if has_body and (response.status_code == 413 or "_cached_data" not in request.__dict__):
            response.headers["Connection"] = "close"
        return response

    app.after_request(close_after_unread_body)
    app.wsgi_app = _force_close_under_gunicorn(app.wsgi_app)
    # App-wide, so they run before blueprints' authentication and before the views, where
    # flask-openapi3 parses the body and Flask-Limiter's per-route key functions read it.
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_deep_json)

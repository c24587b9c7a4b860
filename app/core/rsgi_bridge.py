"""Serving the Flask (WSGI) app from granian's RSGI interface, so that slow clients cost no thread.

Why not granian's own WSGI interface: it parses headers in Rust, but then hands the request to a
blocking thread that reads the body itself, so 8 clients sending a body one byte a second took
all 8 threads of a worker and /healthz stopped answering (measured; tests/system/test_rsgi_bridge.py).
Here the whole request (headers by granian, the body by this bridge on granian's event loop) is
read before a thread is taken; the thread pool (`threads` per process) only ever runs Flask.

What the bridge answers itself, in our error envelope and with `Connection: close` (the rest of
the body is never read, so the connection cannot be reused), before Flask sees the request:
- 414 `uri_too_long`: path and query over MAX_TARGET_BYTES;
- 431 `headers_too_large`: one header over MAX_FIELD_BYTES or all of them over MAX_HEADER_BYTES
  (beyond granian's --http1-buffer-size granian answers a bare 431 itself);
- 413 `payload_too_large`: a body over `max_body` (by Content-Length, or counted as it comes);
- 408 `request_timeout`: the body did not arrive in `body_timeout` seconds (counted over the
  whole body, so a client dripping a byte now and then cannot hold its place forever).
Each of these is counted and logged as Flask's answers are (app.core.observability.server_refusal:
the request log line, wallet_http_requests_total with the route template Flask's URL map finds
for the path, the latency histogram and wallet_refusals_total) and carries an `X-Request-Id`.

The path: granian gives it decoded (no raw request target), as its WSGI interface does, so no
RAW_URI is set and app.pos.signing re-quotes it (see README, terminal signatures).
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from app.core import observability
from app.core.errors import Code, envelope
from app.core.request_ids import SAFE_REQUEST_ID

log = logging.getLogger(__name__)

MAX_TARGET_BYTES = 4096  # a URL of ours is far shorter; the 7,000-character probe is refused
MAX_FIELD_BYTES = 8190  # gunicorn's limit_request_field_size, so both servers refuse the same header
MAX_HEADER_BYTES = 32768

_REASONS = {408: "Request Timeout", 413: "Payload Too Large", 414: "URI Too Long",
            431: "Request Header Fields Too Large"}


class _TooLarge(Exception):
    pass


class _Cut(Exception):
    """The body ended before its Content-Length: the client went away (or lied)."""


def _refusal(code: Code, message: str) -> tuple[int, list[tuple[str, str]], bytes, str]:
    """(status, headers, body, our error code): the bridge's own answer."""
    body = json.dumps(envelope(code, message)).encode()
    return code.status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                         ("Connection", "close"), ("Cache-Control", "no-store"),
                         ("X-Content-Type-Options", "nosniff")], body, code.value


def _header_refusal(scope) -> tuple | None:
    target = len(scope.path.encode()) + len(scope.query_string) + 1
    if target > MAX_TARGET_BYTES:
        return _refusal(Code.URI_TOO_LONG, f"the URL is longer than {MAX_TARGET_BYTES} bytes")
    total = 0
    for name, value in scope.headers.items():
        size = len(name) + len(value) + 2
        if size > MAX_FIELD_BYTES:
            return _refusal(Code.HEADERS_TOO_LARGE, f"a header is longer than {MAX_FIELD_BYTES} bytes")
        total += size
    if total > MAX_HEADER_BYTES:
        return _refusal(Code.HEADERS_TOO_LARGE, f"the headers are longer than {MAX_HEADER_BYTES} bytes")
    return None


def _split_address(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


class RSGIBridge:
    def __init__(self, wsgi_app, *, threads: int = 8, max_body: int = 64 * 1024, body_timeout: float = 10.0):
        self.wsgi_app, self.max_body, self.body_timeout = wsgi_app, max_body, body_timeout
        # Threads start on first use, in the worker process (none exist in the master at import).
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        config = getattr(wsgi_app, "config", None) or {}
        self.log_requests = config.get("REQUEST_LOG", True)

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":
            return  # served with --no-ws: no websockets reach us
        started = time.perf_counter()
        refusal = _header_refusal(scope)
        if refusal is None:
            try:
                body = await asyncio.wait_for(self._read_body(scope, protocol), self.body_timeout)
            except _TooLarge:
                refusal = _refusal(Code.PAYLOAD_TOO_LARGE, f"the body is larger than {self.max_body} bytes")
            except TimeoutError:
                refusal = _refusal(Code.REQUEST_TIMEOUT, f"the body did not arrive within {self.body_timeout:g} s")
            except _Cut:  # never handed to Flask: a cut-off JSON body must not be half-processed
                refusal = _refusal(Code.BAD_REQUEST, "the body ended before its Content-Length")
        if refusal is not None:
            status, headers, content, code = refusal
            offered = scope.headers.get("x-request-id") or ""
            request_id = offered if SAFE_REQUEST_ID.fullmatch(offered) else "req_" + secrets.token_hex(12)
            protocol.response_bytes(status, [*headers, ("X-Request-Id", request_id)], content)
            observability.server_refusal(method=scope.method, route=self._route(scope), status=status, code=code,
                                         seconds=time.perf_counter() - started, request_id=request_id,
                                         log_line=self.log_requests)
            return
        loop = asyncio.get_running_loop()
        status, headers, content, close = await loop.run_in_executor(self.executor, self._call,
                                                                      self._environ(scope, body))
        protocol.response_bytes(status, headers, content)
        if close is not None:
            # The iterable's close() runs the work left for after the response
            # (app.core.after_response): the answer is handed to granian first.
            loop.run_in_executor(self.executor, _close_quietly, close)

    def _route(self, scope) -> str:
        """The route template Flask would have served (the label its own answers are counted
        under), or "unmatched"; matched on the path alone, as the method may be what is wrong."""
        url_map = getattr(self.wsgi_app, "url_map", None)
        if url_map is None or len(scope.path) > MAX_TARGET_BYTES:
            return "unmatched"
        try:
            rule, _ = url_map.bind("localhost").match(scope.path, scope.method, return_rule=True)
        except Exception:  # NotFound, MethodNotAllowed, a redirect: not a route of ours as asked
            return "unmatched"
        return rule.rule

    async def _read_body(self, scope, protocol) -> bytes:
        declared = scope.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge  # refused without reading a byte of it
        if declared == "0" or (declared is None and "transfer-encoding" not in scope.headers):
            return b""
        chunks, size = [], 0
        async for chunk in protocol:
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
        if declared is not None and declared.isdigit() and size != int(declared):
            raise _Cut
        return b"".join(chunks)

    def _environ(self, scope, body: bytes) -> dict:
        server_name, server_port = _split_address(scope.server)
        remote_addr, remote_port = _split_address(scope.client)
        environ = {
            "REQUEST_METHOD": scope.method, "SCRIPT_NAME": "",
            # WSGI strings carry bytes as latin-1; granian decoded the path as UTF-8.
            "PATH_INFO": scope.path.encode().decode("latin-1"), "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_name, "SERVER_PORT": server_port, "REMOTE_ADDR": remote_addr,
            "REMOTE_PORT": remote_port, "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "SERVER_SOFTWARE": "granian-rsgi-bridge", "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": scope.scheme, "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.input_terminated": True,
        }
        for name, value in scope.headers.items():
            lower = name.lower()
            if lower == "content-length":
                continue  # the length of what we read (a chunked body has none of its own)
            if lower == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            key = "HTTP_" + lower.upper().replace("-", "_")
            joiner = "; " if lower == "cookie" else ","
            environ[key] = f"{environ[key]}{joiner}{value}" if key in environ else value
        return environ

    def _call(self, environ: dict) -> tuple[int, list[tuple[str, str]], bytes, object]:
        """Runs Flask in a pool thread: its whole answer as bytes (ours are small JSON and
        images), and the iterable's close() for later."""
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [int(status.split(" ", 1)[0]), list(headers)]

        try:
            iterable = self.wsgi_app(environ, start_response)
            content = b"".join(iterable)
        except Exception:  # Flask renders its own errors; this is a bug in the bridge or the app
            log.exception("the WSGI app failed")
            status, headers, content, _ = _refusal(Code.INTERNAL, "internal error")
            return status, headers, content, None
        return started[0], started[1], content, getattr(iterable, "close", None)


def _close_quietly(close) -> None:
    try:
        close()
    except Exception:
        log.exception("closing the WSGI response failed")

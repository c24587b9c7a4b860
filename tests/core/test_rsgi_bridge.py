"""app.core.rsgi_bridge in process, with a stand-in for granian's scope and protocol: the WSGI
environ Flask gets, and the answers the bridge gives without Flask. Over real sockets under
granian: tests/system/test_rsgi_bridge.py."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import json
from types import SimpleNamespace

from flask import Flask, request

from app.core.rsgi_bridge import RSGIBridge


class Headers(list):
    def items(self):
        return list(self)

    def get(self, key, default=None):
        return next((v for k, v in self if k == key), default)

    def __contains__(self, key):
        return any(k == key for k, _ in self)


class Protocol:
    def __init__(self, chunks):
        self.chunks, self.answer = list(chunks), None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.chunks:
            raise StopAsyncIteration
        return self.chunks.pop(0)

    def response_bytes(self, status, headers, body):
        self.answer = (status, dict(headers), json.loads(body))


def _serve(headers, chunks, path="/echo", query=""):
    flask_app = Flask(__name__)

    @flask_app.route("/echo", methods=["POST"])
    def echo():
        return {"body": request.get_data(as_text=True), "path": request.path, "query": request.query_string.decode(),
                "remote": request.remote_addr, "forwarded": request.headers.get("X-Many")}

    scope = SimpleNamespace(proto="http", method="POST", path=path, query_string=query, headers=Headers(headers),
                            server="127.0.0.1:8000", client="[::1]:5555", scheme="http", http_version="1.1")
    protocol = Protocol(chunks)

    async def run():
        bridge = RSGIBridge(flask_app, threads=1, max_body=10)
        await bridge.__rsgi__(scope, protocol)
        await asyncio.sleep(0.05)  # the close() handed to the pool
    # A loop of its own in a thread of its own: on an xdist worker that ran the browser tests,
    # playwright's sync API keeps an event loop running in the main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
    return protocol.answer


def test_flask_gets_the_request_as_wsgi():
    status, _, body = _serve([("content-length", "5"), ("x-many", "a"), ("x-many", "b")], [b"ab", b"cde"],
                             path="/echo", query="q=%2B")
    assert (status, body) == (200, {"body": "abcde", "path": "/echo", "query": "q=%2B", "remote": "::1",
                                    "forwarded": "a,b"})


def test_a_body_cut_short_of_its_length_never_reaches_flask():
    status, headers, body = _serve([("content-length", "9")], [b"abc"])
    assert (status, headers["Connection"], body["error"]["code"]) == (400, "close", "bad_request")


def test_a_body_over_the_limit_is_413_whether_declared_or_counted():
    assert _serve([("content-length", "11")], [])[2]["error"]["code"] == "payload_too_large"
    assert _serve([("transfer-encoding", "chunked")], [b"123456", b"789012"])[2]["error"]["code"] == "payload_too_large"


def _counted(name: str, **labels) -> float:
    from prometheus_client import REGISTRY
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_bridges_own_refusals_are_logged_and_counted_like_flasks_answers():
    from structlog.testing import capture_logs

    from app.core.observability import configure_logging
    configure_logging()
    route = {"method": "POST", "route": "/echo", "status": "413"}
    before = (_counted("wallet_http_requests_total", **route),
              _counted("wallet_refusals_total", code="payload_too_large"),
              _counted("wallet_http_request_duration_seconds_count", method="POST", route="/echo"),
              _counted("wallet_http_requests_total", method="POST", route="unmatched", status="414"))

    with capture_logs() as lines:
        status, headers, _ = _serve([("content-length", "11"), ("x-request-id", "lb-0123456789")], [])
        long_status, long_headers, _ = _serve([], [], path="/nowhere", query="q=" + "a" * 5000)

    assert (status, headers["X-Request-Id"]) == (413, "lb-0123456789")
    assert long_status == 414 and long_headers["X-Request-Id"].startswith("req_")
    assert [(line["route"], line["status"], line["error_code"], line["request_id"]) for line in lines
            if line["event"] == "request"] == [("/echo", 413, "payload_too_large", "lb-0123456789"),
                                               ("unmatched", 414, "uri_too_long", long_headers["X-Request-Id"])]
    after = (_counted("wallet_http_requests_total", **route),
             _counted("wallet_refusals_total", code="payload_too_large"),
             _counted("wallet_http_request_duration_seconds_count", method="POST", route="/echo"),
             _counted("wallet_http_requests_total", method="POST", route="unmatched", status="414"))
    assert [a - b for a, b in zip(after, before)] == [1, 1, 1, 1]


def test_the_openapi_document_names_the_servers_own_refusals(client):
    operations = client.get("/openapi.json").json["paths"]
    transfer = operations["/api/v1/transfers"]["post"]["responses"]
    assert {"408", "413", "414", "431"} <= set(transfer)
    balance = operations["/api/v1/me/limits"]["get"]["responses"]
    assert {"414", "431"} <= set(balance) and "408" not in balance


def test_work_left_for_after_the_answer_runs_after_it_and_every_response_is_closed():
    """app.core.after_response's work runs once the answer is handed over, and a response's
    close() runs too (after the answer: see README, the request path's third pass)."""
    from app.core.after_response import after_response
    flask_app = Flask(__name__)
    events: list[str] = []

    @flask_app.route("/plain", methods=["POST"])
    def plain():
        response = flask_app.make_response({"ok": True})
        response.call_on_close(lambda: events.append("closed"))
        return response

    @flask_app.route("/deferred", methods=["POST"])
    def deferred():
        after_response(lambda: events.append("deferred work"))
        return {"ok": True}

    class Recording(Protocol):
        def response_bytes(self, status, headers, body):
            events.append("answered")
            super().response_bytes(status, headers, body)

    async def run(path):
        scope = SimpleNamespace(proto="http", method="POST", path=path, query_string="", headers=Headers([]),
                                server="127.0.0.1:8000", client="127.0.0.1:5555", scheme="http", http_version="1.1")
        await RSGIBridge(flask_app, threads=1).__rsgi__(scope, Recording([]))
        await asyncio.sleep(0.05)  # a close() handed to the pool after the answer

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run("/plain")).result()
        assert events == ["answered", "closed"]
        events.clear()
        pool.submit(asyncio.run, run("/deferred")).result()
        assert events == ["answered", "deferred work"]

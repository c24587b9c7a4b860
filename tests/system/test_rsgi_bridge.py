"""app.core.rsgi_bridge under granian, over real sockets, on a small Flask app (2 threads, bodies
up to 1 KiB, 1 s to send one): what Flask sees of a request, and what the bridge refuses itself.

Shown to fail: served by granian's own WSGI interface instead (the last test), 8 clients sending
a body slowly took its threads and /healthz timed out; through the bridge it answers at once.
"""
from __future__ import annotations

import http.client
import json
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.system.wsgi_servers import free_port, serve

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "granian").exists(), reason="needs granian in the venv")
APP = '''
from flask import Flask, request
from app.core.rsgi_bridge import RSGIBridge

flask_app = Flask(__name__)

@flask_app.get("/healthz")
def healthz():
    return {"status": "ok"}

@flask_app.route("/echo", methods=["GET", "POST"])
def echo():
    env = request.environ
    return {"path": request.path, "query": env["QUERY_STRING"], "body": request.get_data(as_text=True),
            "cookie": env.get("HTTP_COOKIE"), "remote": request.remote_addr, "x": request.headers.get("X-Many")}

app = RSGIBridge(flask_app, threads=2, max_body=1024, body_timeout=1)
wsgi_app = flask_app
'''


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bridge")
    (folder / "bridge_app.py").write_text(APP)
    port = free_port()
    process = serve([str(BIN / "granian"), "--interface", "rsgi", "--host", "127.0.0.1", "--port", str(port),
                     "--no-ws", "bridge_app:app"], folder, port)
    yield port
    process.terminate()
    process.wait(10)


def _raw(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())


def test_flask_sees_the_path_query_headers_and_body(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/echo?a=%2B1&b=2", body=b'{"x": "\xc3\xa9"}',
                       headers={"Cookie": "a=1", "X-Many": "one", "Content-Type": "application/json"})
    seen = json.loads(connection.getresponse().read())
    assert seen == {"path": "/echo", "query": "a=%2B1&b=2", "body": '{"x": "\u00e9"}', "cookie": "a=1",
                    "remote": "127.0.0.1", "x": "one"}
    # a chunked body (no Content-Length) arrives whole
    status, _, seen = _raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert (status, seen["body"]) == (200, "abcde")


def test_a_body_over_the_limit_is_413_and_the_connection_closed_cleanly(port):
    # The reproduction: a large body, the refusal, then a request on the same connection.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/echo", body=b"x" * 2_000_000)
    response = connection.getresponse()
    assert (response.status, response.getheader("Connection")) == (413, "close")
    assert json.loads(response.read())["error"]["code"] == "payload_too_large"
    connection.request("GET", "/healthz")  # http.client reconnects, as told by Connection: close
    assert connection.getresponse().status == 200
    # counted as it comes when no length is declared
    status, headers, body = _raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       b"800\r\n" + b"y" * 2048 + b"\r\n0\r\n\r\n")
    assert (status, headers["connection"], body["error"]["code"]) == (413, "close", "payload_too_large")


def test_a_body_slower_than_the_timeout_is_408(port):
    started = time.monotonic()
    status, headers, body = _raw(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    assert (status, headers["connection"], body["error"]["code"]) == (408, "close", "request_timeout")
    assert 0.9 < time.monotonic() - started < 5


def test_a_long_url_is_414_and_a_long_header_431_in_the_envelope(port):
    status, headers, body = _raw(port, b"GET /echo?q=" + b"a" * 7000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, headers["content-type"], body["error"]["code"]) == (414, "application/json", "uri_too_long")
    status, _, body = _raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 4000) for i in range(10))
    status, _, body = _raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert (status, body["error"]["code"]) == (431, "headers_too_large")


def _slow_bodies_then_healthz(port: int, clients: int = 8) -> float | None:
    slow = []
    for _ in range(clients):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
        slow.append(sock)
    time.sleep(0.3)  # the server has dispatched them
    started = time.monotonic()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.8)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        return time.monotonic() - started
    except (TimeoutError, OSError):
        return None
    finally:
        for sock in slow:
            sock.close()


def test_slow_bodies_take_no_thread_through_the_bridge_but_do_under_granian_wsgi(port, tmp_path):
    assert _slow_bodies_then_healthz(port) is not None
    (tmp_path / "bridge_app.py").write_text(APP)
    wsgi_port = free_port()
    process = serve([str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(wsgi_port),
                     "--blocking-threads", "2", "--no-ws", "bridge_app:wsgi_app"], tmp_path, wsgi_port)
    try:
        assert _slow_bodies_then_healthz(wsgi_port) is None  # why the bridge exists
    finally:
        process.terminate()
        process.wait(10)

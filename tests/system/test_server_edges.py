"""The production server's answers at the edges, over real sockets, with the real app: refusals
before the body is read close the connection cleanly, oversize URLs, headers and slow bodies are
answered in our envelope, and /metrics adds up both workers. And gunicorn closes after a 413.

Shown to fail: before app.core.guards' close_after_unread_body and gunicorn's force_close, gunicorn
answered the 2 MB body's 413 with `Connection: keep-alive` and the next request on that
connection got RemoteDisconnected (the issue's reproduction, the last test).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import sys
from pathlib import Path

import pytest

from app.serve import server_env
from tests.system.production import METRICS_TOKEN, call, production_server
from tests.system.wsgi_servers import free_port, serve

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with production_server(tmp_path_factory.mktemp("edges"), "wallet_server_edges", REQUEST_BODY_TIMEOUT="2") as (s, _):
        yield s


def _refused_then_reused(port: int, path: str) -> tuple[int, str, str, int]:
    """The issue's reproduction: 2 MB POSTed, the answer read, then a GET on the same connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request("POST", path, body=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    code = json.loads(response.read())["error"]["code"]
    status, closing = response.status, response.getheader("Connection")
    connection.request("GET", "/healthz")
    return status, closing, code, connection.getresponse().status


def _raw(port: int, data: bytes) -> tuple[int, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


def test_a_413_closes_the_connection_and_the_client_goes_on(server):
    assert _refused_then_reused(server.port, "/api/v1/transfers") == (413, "close", "payload_too_large", 200)


def test_a_long_url_a_long_header_and_a_slow_body_get_the_envelope(server):
    status, body = _raw(server.port, b"GET /api/v1/wallets?x=" + b"a" * 7000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, body["error"]["code"]) == (414, "uri_too_long")
    status, body = _raw(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    status, body = _raw(server.port, b"POST /api/v1/transfers HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
    assert (status, body["error"]["code"]) == (408, "request_timeout")  # REQUEST_BODY_TIMEOUT=2


def _healthz_counted(port: int) -> float:
    status, body, _ = call(port, "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    counted = re.search(r'wallet_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)',
                        body["text"])
    return float(counted.group(1)) if counted else 0.0


def test_metrics_add_up_the_requests_of_both_workers(server):
    before, sent = _healthz_counted(server.port), 120
    for _ in range(sent):  # a fresh connection each: the kernel spreads them over the workers
        assert call(server.port, "GET", "/healthz")[0] == 200
    assert _healthz_counted(server.port) - before == sent
    workers = server.worker_pids()
    environ = Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
    folder = next(v.split(b"=", 1)[1] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC_DIR="))
    files = os.listdir(folder.decode())
    assert len(workers) == 2 and all(f"counter_{pid}.db" in files for pid in workers), (workers, files)


def test_the_metrics_folder_is_made_fresh_before_the_workers_start(tmp_path):
    stale = tmp_path / "prometheus" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    env = server_env({}, tmp_path, threads=8)
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "prometheus")
    assert os.listdir(env["PROMETHEUS_MULTIPROC_DIR"]) == []
    assert (env["WSGI_THREADS"], env["LONG_POLL_MAX_WAITERS"]) == ("8", "4")


GUARDED = '''
from flask import Flask
from app.core.errors import register_error_handlers
from app.core.guards import register_guards

app = Flask(__name__)
app.config.update(MAX_CONTENT_LENGTH=64 * 1024, MAX_JSON_DEPTH=32)
register_error_handlers(app)
register_guards(app)

@app.route("/healthz", methods=["GET", "POST"])
def healthz():
    return {"status": "ok"}
'''


@pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason="needs gunicorn in the venv")
def test_under_gunicorn_a_413_closes_the_connection_too(tmp_path):
    (tmp_path / "guarded_app.py").write_text(GUARDED)
    port = free_port()
    process = serve([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
                     "--threads", "2", "guarded_app:app"], tmp_path, port)
    try:
        assert call(port, "GET", "/healthz", timeout=10)[0] == 200  # booted
        assert _refused_then_reused(port, "/healthz") == (413, "close", "payload_too_large", 200)
    finally:
        process.terminate()
        process.wait(10)

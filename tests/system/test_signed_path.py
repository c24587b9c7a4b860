"""What a real server hands the signature check as "the path exactly as sent".

Each server runs a WSGI app that answers app.pos.signing.request_target(environ), and a client
sends percent-encoded paths byte for byte (http.client does not re-encode them).

Shown to fail: with RAW_URI ignored (the path taken from the decoded PATH_INFO, as before), gunicorn answered
/api/v1/pos/charges/chg_abc for chg%5Fabc, so a terminal that signed the raw path was refused.
"""
from __future__ import annotations

import http.client
import sys
from pathlib import Path

import pytest

from tests.system.wsgi_servers import free_port, serve

BIN = Path(sys.executable).parent
ECHO = '''
from app.pos.signing import request_target

def app(environ, start_response):
    body = request_target(environ).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''
TARGETS = ["/api/v1/pos/charges/chg%5Fabc", "/api/v1/pos/charges/chg%5fabc?wait=%30&x=a%2Bb",
           "/api/v1/pos/config?", "/api/v1/pos/charges/chg_abc"]


def _targets_seen(port: int) -> list[str]:
    seen = []
    for target in TARGETS:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", target)
        seen.append(connection.getresponse().read().decode())
        connection.close()
    return seen


@pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason="needs gunicorn in the venv")
def test_under_gunicorn_the_signed_target_is_the_raw_uri(tmp_path):
    port = free_port()
    (tmp_path / "echo_target.py").write_text(ECHO)
    server = serve([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "echo_target:app"],
                    tmp_path, port)
    try:
        seen = _targets_seen(port)
    finally:
        server.terminate()
        server.wait(10)

    assert seen == TARGETS


@pytest.mark.skipif(not (BIN / "granian").exists(), reason="needs granian in the venv")
def test_under_granian_the_path_is_requoted_and_the_query_kept(tmp_path):
    port = free_port()
    (tmp_path / "echo_target.py").write_text(ECHO)
    server = serve([str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                     "--workers", "1", "echo_target:app"], tmp_path, port)
    try:
        seen = _targets_seen(port)
    finally:
        server.terminate()
        server.wait(10)

    # granian decodes the path (%5F -> _) and gives no raw one; the canonical form leaves "_" plain
    assert seen == ["/api/v1/pos/charges/chg_abc", "/api/v1/pos/charges/chg_abc?wait=%30&x=a%2Bb",
                    "/api/v1/pos/config", "/api/v1/pos/charges/chg_abc"]

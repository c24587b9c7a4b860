"""Work left for after the response (app.core.after_response) runs after a real server has sent
the answer, not before: the client has its answer while the work is still going on.

Each server runs a small Flask app whose view leaves a 1.5 s piece of work for after the response.
Shown to fail: with after_response running the work at once (as the view did before), the answer
took over 1.5 s.
"""
from __future__ import annotations

import http.client
import sys
import time
from pathlib import Path

import pytest

from tests.system.wsgi_servers import free_port, serve

BIN = Path(sys.executable).parent
APP = '''
import time
from pathlib import Path
from flask import Flask
from app.core.after_response import after_response

app = Flask(__name__)
DONE = Path(__file__).with_name("done")

def slow_work(started):
    time.sleep(1.5)
    DONE.write_text(str(time.time() - started))

@app.get("/ready")
def ready():
    return {"status": "ready"}


@app.post("/work")
def work():
    after_response(slow_work, time.time())
    return {"status": "accepted"}, 202
'''


def _answer_time_and_work(port: int, done: Path) -> tuple[float, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/ready")  # the worker has booted (the socket listens before it has)
    assert connection.getresponse().read() == b'{"status":"ready"}\n'
    started = time.monotonic()
    connection.request("POST", "/work", body=b"")
    response = connection.getresponse()
    assert (response.status, response.read()) == (202, b'{"status":"accepted"}\n')
    answered = time.monotonic() - started
    connection.close()
    deadline = time.monotonic() + 10
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done.exists(), "the work after the response never ran"
    return answered, float(done.read_text())


@pytest.mark.parametrize("server", ["gunicorn", "granian", "granian-rsgi"])
def test_the_answer_comes_before_the_work_left_for_after_it(tmp_path, server):
    if not (BIN / server.split("-")[0]).exists():
        pytest.skip(f"needs {server} in the venv")
    (tmp_path / "deferred_app.py").write_text(APP)
    # production's server: the app behind app.core.rsgi_bridge, which calls close() after the answer
    (tmp_path / "deferred_rsgi.py").write_text("from app.core.rsgi_bridge import RSGIBridge\n"
                                               "from deferred_app import app as flask_app\n"
                                               "app = RSGIBridge(flask_app, threads=2)\n")
    port = free_port()
    granian = [str(BIN / "granian"), "--host", "127.0.0.1", "--port", str(port), "--interface"]
    command = {"gunicorn": [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
                            "--threads", "2", "deferred_app:app"],
               "granian": [*granian, "wsgi", "deferred_app:app"],
               "granian-rsgi": [*granian, "rsgi", "--no-ws", "deferred_rsgi:app"]}[server]
    process = serve(command, tmp_path, port)
    try:
        answered, worked = _answer_time_and_work(port, tmp_path / "done")
    finally:
        process.terminate()
        process.wait(10)

    print(f"\n{server}: answered after {answered * 1000:.1f} ms, the work ended after {worked * 1000:.0f} ms")
    assert answered < 1.0 <= 1.5 <= worked

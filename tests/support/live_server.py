"""The app over real HTTP for a browser: werkzeug's server in a thread on a free port, serving
the session's test app (so it reads and writes the test database the `api` fixture sees)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def live_server(app):
    # threaded: the page fetches its modules and the API in parallel; one thread would serialise them.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)

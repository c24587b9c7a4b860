"""The production entry point (granian --interface rsgi rsgi:app, as app.serve runs it): the
Flask app behind app.core.rsgi_bridge, which reads each request whole on granian's event loop
before a thread runs Flask. WSGI_THREADS is the thread pool per worker process (app.serve sets it).
"""
import os

from app import create_app
from app.core.heap import freeze_startup_objects
from app.core.rsgi_bridge import RSGIBridge

flask_app = create_app()
app = RSGIBridge(flask_app, threads=int(os.environ.get("WSGI_THREADS", "8")),
                 max_body=flask_app.config["MAX_CONTENT_LENGTH"],
                 body_timeout=flask_app.config["REQUEST_BODY_TIMEOUT"])
freeze_startup_objects()  # the full collections stop walking start-up's objects (app/core/heap.py)

"""The garbage collector and a long-running server process.

Start-up leaves about 180,000 objects that live as long as the process (the Flask app, its
routes, SQLAlchemy's mappers, pydantic's schemas, the OpenAPI document). Python's full (oldest
generation) collection walks every one of them: about 100 ms here, holding the GIL, in the
middle of whatever requests the worker is serving, and often enough to set the p99 of a busy
server. gc.freeze() moves them to a permanent generation the collector no longer walks; they
could never have been garbage anyway. Only the server entry points call this (wsgi.py, rsgi.py),
once the app is built: the test suite builds many apps and lets them go.
"""
from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    gc.collect()  # what start-up left as garbage goes now, not into the permanent generation
    gc.freeze()

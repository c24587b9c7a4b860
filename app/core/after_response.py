"""Work that runs after the answer has gone out, so that how long the answer takes cannot tell
what the work found (whether a phone or e-mail has an account, say).

`after_response(fn, ...)` attaches `fn` to the response with Werkzeug's `call_on_close`: a WSGI
server calls the response's `close()` once it has sent the body (gunicorn right after writing it,
in the same worker thread; granian when its iteration ends), so the client has its answer first.
`fn` runs in a fresh application context (its own database session) and its exceptions are
logged, never raised into the server. Outside a request (the CLI, seeding) it runs at once.

A worker killed between the answer and the work loses that work; what we defer (sending a code
or a notice) the person can ask for again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import after_this_request, current_app, has_request_context

log = logging.getLogger(__name__)


def after_response(fn: Callable[..., object], /, *args, **kwargs) -> None:
    if not has_request_context():
        fn(*args, **kwargs)
        return
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                fn(*args, **kwargs)
            except Exception:
                log.exception("work after the response failed: %s", getattr(fn, "__qualname__", fn))

    @after_this_request
    def attach(response):
        response.call_on_close(run)
        return response

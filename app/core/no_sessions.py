"""No cookie sessions: the API signs its callers in with bearer tokens (app.auth), terminals with
signatures (app.pos.auth), merchants' servers with API keys; the pages keep their tokens in the
browser's storage. Nothing reads or writes flask.session.

Flask still opened its signed-cookie session on every request (building an itsdangerous serializer
and reading the cookie header): about 5% of a transfer's CPU (in-process, 1,000 transfers under
cProfile). With this interface every request gets Flask's NullSession, which refuses a write: a
future `session[...] = ...` fails loudly instead of quietly setting a cookie nobody designed.
"""
from __future__ import annotations

from flask.sessions import SessionInterface


class NoSessions(SessionInterface):
    def open_session(self, app, request):
        return None  # Flask then uses make_null_session(): a NullSession, never saved

    def save_session(self, app, session, response) -> None:
        return None

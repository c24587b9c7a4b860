"""The lean parts of every request's path: no cookie session, coroutine checks remembered."""
from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession


def test_no_cookie_session_is_opened_or_set(app, client):
    response = client.get("/healthz", headers={"Cookie": "session=forged.value.here"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with app.test_request_context("/"):
        assert isinstance(session._get_current_object(), NullSession)
        with pytest.raises(RuntimeError):  # a write fails loudly instead of setting a cookie
            session["user"] = "someone"


def test_ensure_sync_still_wraps_a_coroutine_function_and_remembers_plain_ones(app):
    def plain():
        return "plain"

    async def coroutine():
        return "awaited"

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain  # the second answer comes from the remembered code object
    for _ in range(2):  # never remembered as plain: Flask's async path each time (no asgiref here)
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(coroutine)

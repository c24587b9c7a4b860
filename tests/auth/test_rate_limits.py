"""Rate limits per address and per identifier: 429 with Retry-After and the error envelope."""
from __future__ import annotations

from contextlib import contextmanager

from limits import parse_many

from tests.support.api import PASSWORD


@contextmanager
def setting(app, name: str, value: str):
    """Lower one limit for the length of a test; the limit strings are read on every request."""
    saved = app.config[name]
    app.config[name] = value
    try:
        yield
    finally:
        app.config[name] = saved


def per_hour(limit_string: str) -> float:
    """The tightest of the given limits, as requests per hour."""
    return min(item.amount * 3600 / item.get_expiry() for item in parse_many(limit_string))


def assert_rate_limited(response):
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited"
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert int(response.headers["Retry-After"]) > 0


def test_the_fourth_login_from_one_address_within_the_limit_window_is_refused(app, api):
    with setting(app, "LIMIT_LOGIN_PER_IP", "3/minute"):
        answers = [api.client.post("/api/v1/auth/login",
                                   json={"identifier": f"+659900001{i}", "password": PASSWORD})
                   for i in range(4)]

    assert [r.status_code for r in answers[:3]] == [401, 401, 401]
    assert_rate_limited(answers[3])


def test_logins_from_another_address_are_not_held_back(app, api):
    with setting(app, "LIMIT_LOGIN_PER_IP", "3/minute"):
        for i in range(4):
            api.client.post("/api/v1/auth/login", json={"identifier": f"+659900002{i}", "password": PASSWORD})
        other = api.client.post("/api/v1/auth/login", json={"identifier": "+6599000029", "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.9.8.7"})

    assert other.status_code == 401


def test_the_fourth_sign_up_from_one_address_is_refused(app, api):
    with setting(app, "LIMIT_REGISTER_PER_IP", "3/minute"):
        answers = [api.register() for _ in range(4)]

    assert [r.status_code for r in answers[:3]] == [201, 201, 201]
    assert_rate_limited(answers[3])


def test_code_requests_for_one_identifier_are_limited_whatever_the_address(app, api):
    with setting(app, "LIMIT_OTP_PER_IDENTIFIER", "3/minute"):
        answers = [api.client.post("/api/v1/auth/otp/request", json={"identifier": "+6599000031"},
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}) for i in range(4)]

    assert [r.status_code for r in answers[:3]] == [202, 202, 202]
    assert_rate_limited(answers[3])


def test_verify_attempts_from_one_address_are_limited(app, api):
    with setting(app, "LIMIT_VERIFY_PER_IP", "3/minute"):
        answers = [api.client.post("/api/v1/auth/verify", json={"identifier": f"+659900004{i}", "code": "123456"})
                   for i in range(4)]

    assert [r.status_code for r in answers[:3]] == [401, 401, 401]
    assert_rate_limited(answers[3])


def test_default_limits_leave_room_for_many_people_behind_one_address(app):
    assert per_hour(app.config["LIMIT_REGISTER_PER_IP"]) >= 100
    assert per_hour(app.config["LIMIT_LOGIN_PER_IP"]) >= 300
    assert app.config["RATELIMIT_ENABLED"] is True

"""Headers every response carries: no sniffing, no referrer, no framing, a content security
policy, no caching of the API (tokens, secrets, balances), HSTS in production, and no stray
rate-limit Retry-After."""
from __future__ import annotations

import re

import pytest

from tests.support.api import PASSWORD

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def assert_security_headers(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response.headers


def login(api, person):
    return api.client.post("/api/v1/auth/login", json={"identifier": person.identifier, "password": PASSWORD})


def test_an_api_answer_carries_the_security_headers_and_the_json_policy(api):
    person = api.person()

    for response in (login(api, person), api.get("/api/v1/wallets", person), api.get("/api/v1/wallets"),
                     api.client.get("/api/v1/nothing-here"), api.client.get("/healthz"),
                     api.client.get("/openapi.json")):
        assert_security_headers(response)
        assert response.headers["Content-Security-Policy"] == JSON_POLICY


def test_every_api_answer_is_marked_no_store(api):
    person = api.person()

    for response in (login(api, person), api.get("/api/v1/wallets", person), api.get("/api/v1/wallets"),
                     api.client.get("/api/v1/nothing-here"), api.transfer(person, "nobody@example.com", 5)):
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_hsts_is_sent_only_in_production(app, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers

    monkeypatch.setitem(app.config, "APP_ENV", "production")
    hsts = client.get("/healthz").headers["Strict-Transport-Security"]

    assert re.fullmatch(r"max-age=\d+; includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000


def test_a_successful_answer_of_a_rate_limited_route_has_no_retry_after(app, api):
    # given rate limits on (login has per-address and per-identifier limits)
    assert app.config["RATELIMIT_ENABLED"]
    person = api.person()

    ok = login(api, person)
    refused = api.client.post("/api/v1/auth/login", json={"identifier": person.identifier, "password": "wrong-1"})

    # then neither a success nor a refusal that asks for no wait says Retry-After
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    assert refused.status_code == 401 and "Retry-After" not in refused.headers


def test_a_rate_limited_answer_still_says_when_to_retry(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_LOGIN_PER_IP", "1/hour")
    body = {"identifier": "someone@example.com", "password": "wrong-password-1"}
    client.post("/api/v1/auth/login", json=body)

    refused = client.post("/api/v1/auth/login", json=body)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600


def test_a_204_answer_has_no_content_type(api):
    person = api.person()

    response = api.client.put("/api/v1/me/pin", json={"pin": "482913"}, headers=person.auth)

    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.get_data() == b""


@pytest.mark.parametrize("page", ["/docs"])
def test_a_web_page_gets_a_policy_that_lets_its_own_scripts_and_styles_run(client, page):
    # given a page under static/, served with its own policy
    response = client.get(page)
    assert_security_headers(response)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))

    # then scripts, styles and fetches may come from this origin only, and nothing frames it
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"

    # and the page has nothing inline that such a policy blocks: its script and style are files
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and not re.search(r"\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assets = re.findall(r"""<script[^>]*\bsrc="([^"]+)"|<link[^>]*\bhref="([^"]+\.css)\"""", html)
    assets = [src or href for src, href in assets]
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith(("/static/", "/docs/swagger/")), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.mimetype in ("text/javascript", "application/javascript", "text/css")
        assert served.headers["X-Content-Type-Options"] == "nosniff"

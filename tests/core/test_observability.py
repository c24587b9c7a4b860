"""The request log, the request id and /metrics (app.core.observability)."""
from __future__ import annotations

import json
import re

import pytest
from structlog.testing import capture_logs

TOKEN = "scrape-" + "x" * 32


@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = TOKEN
    yield TOKEN
    app.config["METRICS_TOKEN"] = None


def _sample(text: str, name: str, **labels) -> float:
    """One sample's value from the Prometheus text format (0 when it is not there yet)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_a_safe_request_id_is_echoed_and_anything_else_is_replaced(client):
    assert client.get("/healthz", headers={"X-Request-Id": "lb-0123456789"}).headers["X-Request-Id"] == "lb-0123456789"
    for unsafe in ("short", "x" * 200, "has space in it", "new\nline-0123"):
        try:
            got = client.get("/healthz", headers={"X-Request-Id": unsafe}).headers["X-Request-Id"]
        except ValueError:  # werkzeug itself refuses a newline in a header: nothing to echo
            continue
        assert got != unsafe and got.startswith("req_")
    first, second = (client.get("/healthz").headers["X-Request-Id"] for _ in range(2))
    assert first != second  # generated, one per request


def test_one_log_line_per_request_names_the_route_and_the_caller_and_no_secret(api):
    alice, bob = api.person(name="Alice", balance=50_000), api.person(name="Bob")
    assert api.client.put("/api/v1/me/pin", headers=alice.auth, json={"pin": "482913"}).status_code == 204

    with capture_logs() as lines:
        api.transfer(alice, bob.wallet_id, 20_000, pin="482913", key="obs-key-1")
        api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions?q=secret-looking-text", alice)

    requests = [line for line in lines if line["event"] == "request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/api/v1/transfers", 201), ("GET", "/api/v1/wallets/<wallet_id>/transactions", 200)]
    assert all(r["user_id"] == alice.id and r["duration_ms"] >= 0 for r in requests)
    written = json.dumps(lines)
    for secret in ("482913", alice.tokens["access_token"], alice.password, "secret-looking-text", alice.wallet_id):
        assert secret not in written


def test_metrics_are_a_404_without_the_token_and_count_payments_and_refusals(api, metrics_token):
    client = api.client
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    before = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).get_data(as_text=True)
    alice, bob = api.person(name="Alice", balance=1_000), api.person(name="Bob")

    assert api.transfer(alice, bob.wallet_id, 600).status_code == 201
    assert api.transfer(alice, bob.wallet_id, 600).status_code == 402  # 400 left

    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert scraped.status_code == 200 and scraped.mimetype == "text/plain"
    after = scraped.get_data(as_text=True)
    for name, labels, grew in (
            ("wallet_payments_total", {"kind": "transfer", "outcome": "succeeded"}, 1),
            ("wallet_payments_total", {"kind": "transfer", "outcome": "refused"}, 1),
            ("wallet_refusals_total", {"code": "insufficient_funds"}, 1),
            ("wallet_http_requests_total", {"method": "POST", "route": "/api/v1/transfers", "status": "402"}, 1)):
        assert _sample(after, name, **labels) - _sample(before, name, **labels) == grew, (name, labels)
    assert "wallet_webhook_backlog" in after and "wallet_long_polls_waiting" in after


def test_background_jobs_and_the_pool_are_counted(app, api, metrics_token):
    from app.core import clock
    from tests.support.payment_codes import customer
    from tests.support.terminals import make_terminal

    def scraped(name: str, **labels) -> float:
        text = api.client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).get_data(as_text=True)
        return _sample(text, name, **labels)

    runs, released = (scraped("wallet_background_runs_total", job="hold_expiry"),
                      scraped("wallet_background_items_total", job="hold_expiry", outcome="released"))
    terminal = make_terminal(api, kind="vending")
    buyer = customer(api, balance=2000)
    held = terminal.post("/api/v1/pos/authorizations", {"payment_code": buyer.code(), "amount": 500})
    assert held.status_code == 201, held.json
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)

    assert "expired 1 hold" in app.test_cli_runner().invoke(args=["ledger", "expire-holds"]).output
    assert "expired 0 order" in app.test_cli_runner().invoke(args=["orders", "expire"]).output

    assert scraped("wallet_background_runs_total", job="hold_expiry") == runs + 1
    assert scraped("wallet_background_items_total", job="hold_expiry", outcome="released") == released + 1
    assert scraped("wallet_background_runs_total", job="order_expiry") >= 1
    text = api.client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).get_data(as_text=True)
    assert "wallet_db_pool_connections_in_use" in text


def test_an_answer_replayed_from_its_key_is_counted_and_logged_as_such(api, metrics_token):
    """Replays found inside a payment function: wallet_transfer's `replayed` column (through
    ledger.call_payment) and pos_charge's (through pos.code_payments.pay_by_code)."""
    from tests.support.payment_codes import charge, phone_of
    from tests.support.terminals import make_terminal

    def replays(route: str) -> float:
        text = api.client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).get_data(as_text=True)
        return _sample(text, "wallet_idempotent_replays_total", method="POST", route=route)

    alice, bob = api.person(name="Alice", balance=5_000), api.person(name="Bob")
    terminal = make_terminal(api)
    code = phone_of(api, alice).code()
    before = replays("/api/v1/transfers"), replays("/api/v1/pos/charges")

    with capture_logs() as lines:
        first = api.transfer(alice, bob.wallet_id, 100, key="replay-1")
        again = api.transfer(alice, bob.wallet_id, 100, key="replay-1")
        other = api.transfer(alice, bob.wallet_id, 100, key="replay-2")
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json == first.json
    assert [line.get("replayed", False) for line in lines if line["event"] == "request"] == [False, True, False]

    charged = charge(terminal, code, 200, key="till-replay-1")
    assert charged.status_code == 201, charged.json
    assert charge(terminal, code, 200, key="till-replay-1").json == charged.json

    assert (replays("/api/v1/transfers"), replays("/api/v1/pos/charges")) == (before[0] + 1, before[1] + 1)

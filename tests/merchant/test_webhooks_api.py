"""Merchant staff manage webhook endpoints: register, list, disable, enable, rotate, test; URL rules."""
from __future__ import annotations

import pytest

from app.merchant.webhooks.models import WebhookEndpoint
from tests.support.qr import make_merchant
from tests.support.webhooks import deliveries, register

URL = "https://shop.example.com/hooks"


@pytest.fixture
def shop(app, api):
    owner = api.person(name="Shop Owner")
    return owner, make_merchant(app, api, owner=owner)


def test_staff_register_an_endpoint_and_see_its_secret_once(app, api, shop):
    owner, merchant = shop

    response = register(api, owner, merchant["id"], URL, ["payment.succeeded", "refund.succeeded"])

    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"].startswith("whe_") and body["url"] == URL and body["status"] == "active"
    assert body["events"] == ["payment.succeeded", "refund.succeeded"] and body["created_at"]
    assert body["secret"].startswith("whsec_")
    # kept encrypted at rest, and never listed
    with app.app_context():
        from app.extensions import db
        stored = db.session.get(WebhookEndpoint, body["id"]).secret
    assert body["secret"] not in stored and "whsec_" not in stored
    listed = api.get(f"/api/v1/merchants/{merchant['id']}/webhooks", owner).json["data"]
    assert [e["id"] for e in listed] == [body["id"]] and listed[0].get("secret") is None


def test_rotating_gives_a_new_secret_and_disable_enable_change_the_status(api, shop):
    owner, merchant = shop
    made = register(api, owner, merchant["id"], URL).json
    base = f"/api/v1/merchants/{merchant['id']}/webhooks/{made['id']}"

    rotated = api.post(f"{base}/rotate-secret", owner)
    disabled = api.post(f"{base}/disable", owner)
    enabled = api.post(f"{base}/enable", owner)

    assert rotated.status_code == 200 and rotated.json["secret"].startswith("whsec_")
    assert rotated.json["secret"] != made["secret"]
    assert disabled.json["status"] == "disabled" and disabled.json.get("secret") is None
    assert enabled.json["status"] == "active"


@pytest.mark.parametrize("url, reason", [
    ("ftp://shop.example.com/hooks", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("https://user:pass@shop.example.com/hooks", "password"),
    ("https://token@shop.example.com/hooks", "password"),
    ("https:///hooks", "host"),
    ("https://shop.example.com/" + "a" * 2000, "2000"),
    ("https://shop.example.com:99999/hooks", "not a URL"),
    ("https://shop.example.com/ho oks", "spaces"),
    ("https://shop.example.com/hooks#frag", "fragment"),
])
def test_a_bad_url_is_422_webhook_url_invalid(api, shop, url, reason):
    owner, merchant = shop
    response = register(api, owner, merchant["id"], url)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "webhook_url_invalid" and reason in response.json["error"]["message"]


def test_development_accepts_http_and_production_only_public_https(app, api, shop, monkeypatch):
    owner, merchant = shop
    assert register(api, owner, merchant["id"], "http://127.0.0.1:8000/hooks").status_code == 201

    monkeypatch.setitem(app.config, "APP_ENV", "production")

    refused = register(api, owner, merchant["id"], "http://shop.example.com/hooks")
    assert refused.status_code == 422 and "https" in refused.json["error"]["message"]
    for internal in ("https://127.0.0.1/hooks", "https://10.1.2.3/hooks", "https://[::1]/hooks",
                     "https://169.254.169.254/latest", "https://localhost/hooks"):
        response = register(api, owner, merchant["id"], internal)
        assert response.json["error"]["code"] == "webhook_url_invalid", internal
    assert register(api, owner, merchant["id"], URL).status_code == 201


def test_webhook_allow_local_lets_a_staging_or_bench_production_register_a_local_receiver(app, api, shop,
                                                                                          monkeypatch):
    owner, merchant = shop
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOCAL", True)

    assert register(api, owner, merchant["id"], "http://127.0.0.1:8000/hooks").status_code == 201
    refused = register(api, owner, merchant["id"], "ftp://127.0.0.1/hooks")  # the other rules stay
    assert refused.json["error"]["code"] == "webhook_url_invalid"


@pytest.mark.parametrize("events", [["payment.refunded"], [], ["webhook.test"], ["payment.succeeded", 3]])
def test_unknown_event_types_are_422(api, shop, events):
    owner, merchant = shop
    response = register(api, owner, merchant["id"], URL, events)
    assert response.status_code == 422 and response.json["error"]["code"] == "validation_error"


def test_another_merchants_endpoints_and_deliveries_are_404(app, api, shop):
    owner, merchant = shop
    made = register(api, owner, merchant["id"], URL).json
    stranger = api.person(name="Other Shop")
    theirs = make_merchant(app, api, owner=stranger)
    test = api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{made['id']}/test", owner).json

    assert register(api, stranger, merchant["id"], URL).status_code == 404
    assert api.get(f"/api/v1/merchants/{merchant['id']}/webhooks", stranger).status_code == 404
    for action in ("disable", "enable", "rotate-secret", "test"):
        assert api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{made['id']}/{action}",
                        stranger).status_code == 404
        # their own merchant id does not open our endpoint either
        assert api.post(f"/api/v1/merchants/{theirs['id']}/webhooks/{made['id']}/{action}",
                        stranger).status_code == 404
    assert api.post(f"/api/v1/merchants/{theirs['id']}/webhook-deliveries/{test['delivery_id']}/retry",
                    stranger).status_code == 404
    assert api.get(f"/api/v1/merchants/{merchant['id']}/webhook-deliveries", stranger).status_code == 404
    assert api.get(f"/api/v1/merchants/{merchant['id']}/webhooks").status_code == 401


def test_a_test_event_is_queued_for_that_endpoint_only(api, shop):
    owner, merchant = shop
    first = register(api, owner, merchant["id"], URL, ["batch.closed"]).json
    register(api, owner, merchant["id"], "https://other.example.com/hooks", ["batch.closed"])

    response = api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{first['id']}/test", owner)

    assert response.status_code == 202, response.json
    [delivery] = deliveries(api, owner, merchant["id"])
    assert delivery["id"] == response.json["delivery_id"] and delivery["event_id"] == response.json["event_id"]
    assert delivery["endpoint_id"] == first["id"] and delivery["event_type"] == "webhook.test"
    assert delivery["status"] == "pending" and delivery["attempts"] == 0 and delivery["attempt_log"] == []
    # a disabled endpoint cannot be tested
    api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{first['id']}/disable", owner)
    assert api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{first['id']}/test", owner).status_code == 409


def test_deliveries_page_newest_first_without_skipping_or_repeating(api, shop):
    owner, merchant = shop
    made = register(api, owner, merchant["id"], URL).json
    test = f"/api/v1/merchants/{merchant['id']}/webhooks/{made['id']}/test"
    queued = [api.post(test, owner).json["delivery_id"] for _ in range(5)]

    path = f"/api/v1/merchants/{merchant['id']}/webhook-deliveries"
    first = api.get(path, owner, query_string={"limit": 2}).json
    queued.append(api.post(test, owner).json["delivery_id"])  # a new one arrives between pages
    seen = [d["id"] for d in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(path, owner, query_string={"limit": 2, "cursor": cursor}).json
        seen += [d["id"] for d in page["data"]]
        cursor = page["next_cursor"]

    assert first["has_more"] is True
    assert sorted(seen) == sorted(queued[:5]) and len(seen) == 5
    assert api.get(path, owner, query_string={"status": "succeeded"}).json["data"] == []
    assert len(api.get(path, owner, query_string={"status": "pending"}).json["data"]) == 6
    assert api.get(path, owner, query_string={"cursor": "bogus"}).status_code == 422
    assert api.get(path, owner, query_string={"status": "lost"}).status_code == 422


def test_every_webhook_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/merchants/{merchant_id}/webhooks",
                 "/api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/disable",
                 "/api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/enable",
                 "/api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/rotate-secret",
                 "/api/v1/merchants/{merchant_id}/webhooks/{webhook_id}/test",
                 "/api/v1/merchants/{merchant_id}/webhook-deliveries",
                 "/api/v1/merchants/{merchant_id}/webhook-deliveries/{delivery_id}/retry"):
        assert path in paths, path

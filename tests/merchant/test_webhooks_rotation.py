"""Rotating a webhook secret keeps the previous one for WEBHOOK_SECRET_GRACE_SECONDS: deliveries
carry a signature under each (`webhook-signature: v1,<new> v1,<old>`), so a receiver that has not
switched yet still verifies them; afterwards only the new secret signs. Checked with the
reference `standardwebhooks` library, as a merchant's server would."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.config import load_config
from app.core import clock
from app.extensions import db
from app.merchant.webhooks.models import WebhookEndpoint
from tests.support.webhooks import Receiver, deliver, subscribe
from tests.support.qr import make_merchant

GRACE = 120  # short, because the receiver checks webhook-timestamp against its real clock (5 min)


def send_test_event(api, owner, merchant_id: str, endpoint_id: str) -> None:
    response = api.post(f"/api/v1/merchants/{merchant_id}/webhooks/{endpoint_id}/test", owner)
    assert response.status_code in (200, 201, 202), response.json


def verifies(secret: str, hit) -> bool:
    try:
        Webhook(secret).verify(hit.body, hit.headers)
        return True
    except WebhookVerificationError:
        return False


def test_during_the_grace_period_either_secret_verifies_and_afterwards_only_the_new_one(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_SECRET_GRACE_SECONDS", GRACE)
    with Receiver() as receiver:
        # given an endpoint whose secret the merchant rotates
        owner = api.person(name="Shop Owner")
        merchant = make_merchant(app, api, owner=owner)
        endpoint = subscribe(api, owner, merchant["id"], receiver, ["batch.closed"])
        old = endpoint["secret"]
        rotated = api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{endpoint['id']}/rotate-secret", owner)
        assert rotated.status_code == 200, rotated.json
        new = rotated.json["secret"]
        assert new != old
        until = datetime.fromisoformat(rotated.json["previous_secret_expires_at"])
        assert abs(until - (clock.now() + timedelta(seconds=GRACE))) < timedelta(seconds=5)
        receiver.secret = new

        # when an event is delivered within the grace period
        send_test_event(api, owner, merchant["id"], endpoint["id"])
        assert deliver(app) == 1

        # then a receiver holding either secret verifies it: two signatures, space-separated
        [during] = receiver.hits
        assert verifies(old, during) and verifies(new, during)
        assert len(during.headers["webhook-signature"].split(" ")) == 2

        # when the grace period is over
        clock.advance(GRACE + 1)
        send_test_event(api, owner, merchant["id"], endpoint["id"])
        assert deliver(app) == 1

        # then only the new secret verifies, and the old one is gone from the row
        after = receiver.hits[1]
        assert verifies(new, after) and not verifies(old, after)
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        listed = api.get(f"/api/v1/merchants/{merchant['id']}/webhooks", owner).json["data"]
        assert listed[0]["previous_secret_expires_at"] is None


def test_the_previous_secret_is_kept_encrypted_at_rest(app, api):
    # given an endpoint rotated once
    owner = api.person(name="Shop Owner")
    merchant = make_merchant(app, api, owner=owner)
    made = api.post(f"/api/v1/merchants/{merchant['id']}/webhooks", owner,
                    json={"url": "https://shop.example.com/hooks", "events": ["batch.closed"]}).json
    api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{made['id']}/rotate-secret", owner)

    # then the row holds the old secret, but not in clear
    with app.app_context():
        row = db.session.execute(select(WebhookEndpoint).filter_by(id=made["id"])).scalar_one()
        assert row.previous_secret and made["secret"] not in row.previous_secret
        assert made["secret"][len("whsec_"):] not in row.previous_secret


def test_with_no_grace_period_a_rotation_signs_with_the_new_secret_only(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_SECRET_GRACE_SECONDS", 0)
    with Receiver() as receiver:
        owner = api.person(name="Shop Owner")
        merchant = make_merchant(app, api, owner=owner)
        endpoint = subscribe(api, owner, merchant["id"], receiver, ["batch.closed"])
        rotated = api.post(f"/api/v1/merchants/{merchant['id']}/webhooks/{endpoint['id']}/rotate-secret", owner).json
        assert rotated["previous_secret_expires_at"] is None

        send_test_event(api, owner, merchant["id"], endpoint["id"])
        deliver(app)

        [hit] = receiver.hits
        assert verifies(rotated["secret"], hit) and not verifies(endpoint["secret"], hit)


@pytest.mark.parametrize("env, expected", [({}, 86400), ({"WEBHOOK_SECRET_GRACE_SECONDS": "3600"}, 3600)])
def test_the_grace_period_is_a_day_unless_configured(tmp_path, env, expected):
    assert load_config(tmp_path, env=env)["WEBHOOK_SECRET_GRACE_SECONDS"] == expected

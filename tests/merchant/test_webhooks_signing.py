"""Standard Webhooks signing, pure: checked against the reference `standardwebhooks` library."""
from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.merchant.webhooks import signing


def test_a_secret_is_whsec_and_base64_of_enough_random_bytes():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[len("whsec_"):])) >= 24
    assert signing.new_secret() != secret


def test_the_signature_is_the_one_the_reference_library_computes():
    # given the example secret of the Standard Webhooks specification
    secret, msg_id, ts = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    payload = '{"test": 2432232314}'

    # then our header is the library's, and the specification's published value
    expected = Webhook(secret).sign(msg_id, datetime.fromtimestamp(ts, UTC), payload)
    assert signing.signature(secret, msg_id, ts, payload) == expected
    assert expected == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_reference_library_verifies_our_headers_and_body():
    secret = signing.new_secret()
    body = signing.body("payment.succeeded", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), {"amount": 450})
    headers = signing.headers(secret, "msg_abc", int(time.time()), body)

    payload = Webhook(secret).verify(body, headers)

    assert payload == {"type": "payment.succeeded", "timestamp": "2030-01-02T03:04:05+00:00",
                       "data": {"amount": 450}}
    assert json.loads(body) == payload


def test_a_changed_body_or_another_secret_fails_verification():
    secret = signing.new_secret()
    body = signing.body("batch.closed", datetime.now(UTC), {"count": 1})
    headers = signing.headers(secret, "msg_abc", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("1", "2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_body_is_the_same_bytes_every_time():
    # a retry must sign and send exactly what the first attempt sent
    when = datetime(2030, 1, 1, tzinfo=UTC)
    assert signing.body("x", when, {"b": 1, "a": 2}) == signing.body("x", when, {"a": 2, "b": 1})


def test_two_secrets_give_two_signatures_and_either_secret_verifies():
    # during a rotation's grace period the new and the previous secret both sign
    new, old = signing.new_secret(), signing.new_secret()
    body = signing.body("batch.closed", datetime.now(UTC), {"count": 1})
    headers = signing.headers([new, old], "msg_abc", int(time.time()), body)

    assert headers["webhook-signature"] == " ".join(signing.signature(s, "msg_abc", int(headers["webhook-timestamp"]),
                                                                      body) for s in (new, old))
    assert Webhook(new).verify(body, headers) == Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)

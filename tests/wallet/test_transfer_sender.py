"""The sender's own state, checked inside the transfer's database call (the request does not read
the user row): a disabled or unverified sender is refused, and that refusal is not stored under
the Idempotency-Key, because it answers no request in particular."""
from __future__ import annotations

from app.auth.models import User
from app.core import clock
from app.extensions import db


def _set_user(app, user_id: str, **values) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def test_a_disabled_sender_is_refused_and_the_key_is_not_used_up(app, api):
    # given Alice, signed in, whose account is then disabled
    alice, bob = api.person(balance=1000), api.person()
    verified_at = clock.now()
    _set_user(app, alice.id, status="disabled")

    # when she sends money with a key
    refused = api.transfer(alice, bob.phone, 100, key="send-1")

    # then her token no longer pays, nothing moved; re-enabled, the same key sends once
    assert refused.status_code == 401 and refused.json["error"]["code"] == "token_invalid"
    _set_user(app, alice.id, status="active", verified_at=verified_at)
    sent = api.transfer(alice, bob.phone, 100, key="send-1")
    assert sent.status_code == 201
    assert api.transfer(alice, bob.phone, 100, key="send-1").json == sent.json
    assert api.wallet(alice)["balance"] == 900


def test_an_unverified_sender_is_refused_with_not_verified(app, api):
    alice, bob = api.person(balance=1000), api.person()
    _set_user(app, alice.id, verified_at=None)

    response = api.transfer(alice, bob.phone, 100, key="send-2")

    assert response.status_code == 403 and response.json["error"]["code"] == "not_verified"
    assert api.wallet(alice)["balance"] == 1000


def test_a_refusal_after_the_key_is_claimed_is_stored_and_replayed(app, api):
    """The function runs in autocommit: a refusal found after it claimed the key must undo the
    claim (it raises), and the refusal is then stored. Returning it instead left a bare claim
    (status 0, empty body) that the retry tripped over with a 500."""
    alice = api.person(balance=1000)

    first = api.transfer(alice, "+6599999999", 100, key="to-nobody")
    again = api.transfer(alice, "+6599999999", 100, key="to-nobody")

    assert first.status_code == again.status_code == 404
    assert first.json == again.json and first.json["error"]["code"] == "recipient_not_found"
    from app.core.models import IdempotencyRecord
    with app.app_context():
        record = db.session.query(IdempotencyRecord).filter_by(key="to-nobody").one()
        assert record.status_code == 404

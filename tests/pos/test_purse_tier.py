"""The tier's offline_allowance caps what a wallet's live purses hold together
(app.pos.purse.services._refuse_above_tier): refused with limit_exceeded above it, also when
several purses are asked for at the same moment."""
from __future__ import annotations

import threading

from sqlalchemy import text

from app.extensions import db
from tests.support.api import Api
from tests.support.purse import Phone

CAP = 3_000


def cap_basic_tier(app, allowance: int = CAP) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE tiers SET offline_allowance = :cap WHERE name = 'basic'"), {"cap": allowance})
        db.session.commit()


def test_purses_together_hold_at_most_the_tiers_offline_allowance(app, api):
    cap_basic_tier(app)
    payer = api.person(name="Customer", balance=10_000)

    first = Phone(payer).take_purse(api, 2_000)
    assert first.status_code == 201, first.json
    refused = Phone(payer).take_purse(api, 1_500)
    assert refused.status_code == 402, refused.json
    assert refused.json["error"]["code"] == "limit_exceeded"
    assert refused.json["error"]["details"] == {"limit": "offline_allowance", "limit_amount": CAP,
                                                "remaining": 1_000, "currency": "USD", "resets_at": None}
    assert api.wallet(payer)["held"] == 2_000  # the refused purse held nothing
    assert Phone(payer).take_purse(api, 1_000).status_code == 201

    # a closed purse no longer counts: its owner may take another
    purse_id = first.json["certificate"]["purse_id"]
    closed = api.post(f"/api/v1/wallets/{payer.wallet_id}/offline-purses/{purse_id}/close", payer)
    assert closed.status_code == 200, closed.json
    assert Phone(payer).take_purse(api, 2_000).status_code == 201


def test_purses_asked_for_at_once_never_pass_the_allowance(app, api):
    cap_basic_tier(app)
    payer = api.person(name="Customer", balance=10_000)
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def take() -> None:
        own = Api(app, app.test_client())
        phone = Phone(payer)
        barrier.wait()
        statuses.append(phone.take_purse(own, 1_000).status_code)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201, 201, 201, 402, 402]
    assert api.wallet(payer)["held"] == CAP

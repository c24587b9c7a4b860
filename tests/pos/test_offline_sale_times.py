"""Offline sales keep both times, the time of sale (the device's clock) and the time of posting,
and show both: in the customer's and the merchant's history lists, their CSV exports (a sold_at
column beside created_at), the receipt, and the merchant's payment.succeeded webhook."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.merchant.webhooks.models import WebhookEvent
from tests.support.offline import make_offline_till, pay
from tests.support.purse import Phone, upload

HOUR = 3600


def _iso(unix: int) -> str:
    from datetime import UTC, datetime
    return clock.iso(datetime.fromtimestamp(unix, UTC))


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    response.close()  # a streamed body: end its request context before the next request
    return list(csv.DictReader(io.StringIO(text)))


def _lists(api, payer, till) -> tuple[list, list, list, list]:
    mine = api.get(f"/api/v1/wallets/{payer.wallet_id}/transactions", payer).json["data"]
    shop = api.get(f"/api/v1/merchants/{till.terminal.merchant_id}/transactions", till.owner).json["data"]
    mine_csv = _csv(api.get(f"/api/v1/wallets/{payer.wallet_id}/transactions.csv", payer))
    shop_csv = _csv(api.get(f"/api/v1/merchants/{till.terminal.merchant_id}/transactions.csv", till.owner))
    return mine, shop, mine_csv, shop_csv


def _event(app, merchant_id: str) -> dict:
    with app.app_context():
        [event] = db.session.execute(select(WebhookEvent).filter_by(merchant_id=merchant_id,
                                                                    type="payment.succeeded")).scalars()
        return json.loads(event.data)


def test_a_purse_sale_shows_when_it_was_sold_and_when_it_was_posted(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 2_000).status_code == 201
    sold = int(clock.now().timestamp()) - 2 * HOUR  # sold offline two hours before the upload
    [posted] = upload(till.terminal, phone.record(phone.token(till.terminal.terminal_id, 700, time=sold)))

    mine, shop, mine_csv, shop_csv = _lists(api, payer, till)

    captured = [h for h in mine if h["sold_at"] is not None]
    assert [(h["type"], h["amount"], h["sold_at"]) for h in captured] == [("hold", -700, _iso(sold))]
    assert all(h["sold_at"] is None for h in mine if h is not captured[0])  # the top-up, the hold placed
    assert [(h["id"], h["sold_at"]) for h in shop] == [(posted["payment_id"], _iso(sold))]
    assert shop[0]["created_at"] != shop[0]["sold_at"]  # posted at the upload
    assert [r["sold_at"] for r in mine_csv if r["sold_at"]] == [_iso(sold)]
    assert list(shop_csv[0])[:3] == ["id", "created_at", "sold_at"]
    assert [(r["id"], r["sold_at"]) for r in shop_csv] == [(posted["payment_id"], _iso(sold))]

    receipt = api.get(f"/api/v1/transactions/{posted['payment_id']}", payer).json
    assert receipt["offline"] == {"sequence": None, "purse_id": phone.certificate["purse_id"], "counter": 1,
                                  "sold_at": _iso(sold), "posted_at": shop[0]["created_at"]}
    event = _event(app, till.terminal.merchant_id)
    assert (event["offline"], event["sold_at"], event["created_at"]) == (True, _iso(sold), shop[0]["created_at"])


def test_a_sale_made_by_an_offline_terminal_shows_its_time_of_sale(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    made = int(clock.now().timestamp()) - 120
    code = till.code(450, issued_at=made)
    paid = pay(api, payer, code.payload)
    assert paid.status_code == 201, paid.json

    mine, shop, mine_csv, shop_csv = _lists(api, payer, till)

    assert [(h["id"], h["sold_at"]) for h in mine if h["type"] == "payment"] == [(paid.json["id"], _iso(made))]
    assert [h["sold_at"] for h in mine if h["type"] == "topup"] == [None]
    assert [(h["id"], h["sold_at"]) for h in shop] == [(paid.json["id"], _iso(made))]
    assert {r["type"]: r["sold_at"] for r in mine_csv} == {"payment": _iso(made), "topup": ""}
    assert [r["sold_at"] for r in shop_csv] == [_iso(made)]
    event = _event(app, till.terminal.merchant_id)
    assert (event["offline"], event["sold_at"]) == (True, _iso(made))

"""A wallet's history page without `q` is one statement (app.history.wallet_page): these pin that it
answers exactly what the several statements of entries.next_rows + entries.describe answer (the
rows, their order, each kind of other side, both kinds of offline time of sale, cursors, filters),
and that its owner check refuses as signed_in_wallet did."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.auth.models import User
from app.core import clock
from app.core.pagination import decode_cursor, encode_cursor
from app.extensions import db
from app.history import entries
from app.history.filters import HistoryFilters
from tests.support.errors import assert_envelope
from tests.support.offline import make_offline_till, pay
from tests.support.purse import Phone, upload

HOUR = 3600


def _as_before(app, wallet_id: str, filters: HistoryFilters, limit: int, cursor: str | None) -> dict:
    """The page as it was built before: the rows, then the other sides and the times of sale."""
    with app.app_context():
        rows, has_more, moved = entries.next_rows({wallet_id: decode_cursor(cursor)}, filters, limit)
        page = {"data": entries.describe(rows), "has_more": has_more,
                "next_cursor": encode_cursor(moved[wallet_id]) if has_more else None}
    return json.loads(json.dumps(page))


def _walk(app, api, person, params: dict, filters: HistoryFilters, limit: int) -> list[dict]:
    """Every page through the API, each compared with the page built as before."""
    items, cursor = [], None
    while True:
        query = params | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = api.get(f"/api/v1/wallets/{person.wallet_id}/transactions", person, query_string=query)
        assert response.status_code == 200, response.json
        assert response.json == _as_before(app, person.wallet_id, filters, limit, cursor)
        items += response.json["data"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def mixed(app, api):
    """A wallet with every kind of row: a top-up (a system account), transfers both ways (a
    person), an offline terminal's sale (a merchant, time of sale by its payment), a purse token
    from the hold (by the capture) and one beyond it (by the payment it made)."""
    alice, bob = api.person(name="Alice", balance=20_000), api.person(name="Bob", balance=1_000)
    assert api.transfer(alice, bob.wallet_id, 1200).status_code == 201
    assert api.transfer(bob, alice.wallet_id, 300).status_code == 201
    till = make_offline_till(api)
    made = int(clock.now().timestamp()) - 120
    assert pay(api, alice, till.code(450, issued_at=made).payload).status_code == 201
    phone = Phone(alice)
    assert phone.take_purse(api, 1_000).status_code == 201
    sold = int(clock.now().timestamp()) - 2 * HOUR
    upload(till.terminal, phone.record(phone.token(till.terminal.terminal_id, 700, time=sold)))
    upload(till.terminal, phone.record(phone.token(till.terminal.terminal_id, 900, time=sold + 60)))
    return alice, bob


@pytest.mark.parametrize("limit", [1, 3, 20])
def test_every_page_is_what_the_statements_before_gave(app, api, mixed, limit):
    alice, _ = mixed
    items = _walk(app, api, alice, {}, HistoryFilters(), limit)
    # the fixture's rows cover what the statement joins: each kind of other side, each time of sale
    assert {item["counterparty"]["type"] for item in items} == {"system", "user", "merchant"}
    assert len({item["sold_at"] for item in items if item["sold_at"]}) == 3
    assert {"Alice", "Bob"} & {item["counterparty"]["name"] for item in items} == {"Bob"}


@pytest.mark.parametrize("params, filters", [
    ({"type": "transfer,payment"}, HistoryFilters(types=("transfer", "payment"))),
    ({"status": "succeeded"}, HistoryFilters(statuses=("succeeded",))),
    ({"type": "hold"}, HistoryFilters(types=("hold",))),
    ({"type": "refund"}, HistoryFilters(types=("refund",))),  # nothing: the empty page
])
def test_filtered_pages_are_what_the_statements_before_gave(app, api, mixed, params, filters):
    alice, _ = mixed
    _walk(app, api, alice, params, filters, 2)


def test_dated_pages_are_what_the_statements_before_gave(app, api, mixed):
    alice, _ = mixed
    today = clock.now().date()
    for start, end in ((today, today), (today - timedelta(days=3), today - timedelta(days=1))):
        params = {"from": start.isoformat(), "to": end.isoformat()}
        _walk(app, api, alice, params, HistoryFilters(date_from=start, date_to=end), 2)


def test_a_disabled_user_is_refused_and_a_stranger_gets_a_404_before_a_bad_cursor(app, api, mixed):
    alice, bob = mixed
    assert_envelope(api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions?cursor=bad", bob), 404, "not_found")
    assert_envelope(api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions", bob), 404, "not_found")
    assert_envelope(api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions?cursor=bad", alice), 422,
                    "validation_error")
    with app.app_context():
        db.session.get(User, alice.id).status = "disabled"
        db.session.commit()
    assert_envelope(api.get(f"/api/v1/wallets/{alice.wallet_id}/transactions", alice), 401, "token_invalid")

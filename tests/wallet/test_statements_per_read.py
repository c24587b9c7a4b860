"""What one signed-in read sends to PostgreSQL, counted at the driver (app.core.sql_counts: every
statement, every BEGIN/COMMIT/ROLLBACK/DEALLOCATE psycopg sends on its own, every separate Parse
of a statement it prepares). Reads outside a unit of work run in autocommit (app.core.read_session):
no BEGIN and no ROLLBACK, and the ROLLBACK no longer throws away psycopg's prepared statements.
Figures before and after are in the README (Performance)."""
from __future__ import annotations

import pytest

from app.core import clock, sql_counts
from tests.support.payment_codes import set_pin
import pytest as _pytest
from tests.support.env import NEEDS_REDIS_FOR_COUNTS, TEST_REDIS_URL

pytestmark = _pytest.mark.skipif(not TEST_REDIS_URL, reason=NEEDS_REDIS_FOR_COUNTS)

REQUESTS = 20  # averaged: psycopg prepares a statement on its 5th use on a connection, then reuses it
# (statements, round trips, transactions) per request at most. Before: a wallet read 2 / 6 / 2 (the user, the
# wallet: two transactions, each begun and rolled back), a history page 4 / 8 / 2, pending payments 2 / 6 / 2.
# A history page's 4: the user and wallet, the rows, the other sides' names, and the offline sales'
# times of sale (app.history.sale_times, one UNION ALL); its extra round trips are psycopg preparing
# the statements on their 5th use.
# A wallet read is 1 again: the freeze check rides in the wallet's statement as an EXISTS (the
# freezes themselves are read only when one applies).
# A history page (without `q`) is 1 since app.history.wallet_page: the owner check, the rows, the other
# sides and the times of sale in one statement; a filtered one too.
BOUNDS = {"wallet": (1, 1.1, 1), "history_page": (1, 1.1, 1), "history_page_filtered": (1, 1.1, 1),
          "pending_payments": (1, 1.1, 1)}
FIGURES: dict = {}


def _per_request(app, api, person, path: str) -> tuple[float, float, float]:
    sql_counts.install_driver()
    assert api.get(path, person).status_code == 200  # the first one may load what later ones reuse
    before = sql_counts.snapshot()
    for _ in range(REQUESTS):
        response = api.get(path, person)
        assert response.status_code == 200, response.json
    after = sql_counts.snapshot()
    return tuple(round((after[f] - before[f]) / REQUESTS, 2) for f in ("statements", "round_trips", "transactions"))


def _check(name: str, figures) -> None:
    FIGURES[name] = figures
    statements, round_trips, transactions = BOUNDS[name]
    assert figures[0] <= statements and figures[1] <= round_trips and figures[2] <= transactions, figures


def test_reading_a_wallet(app, api):
    alice = api.person(balance=1000)
    _check("wallet", _per_request(app, api, alice, f"/api/v1/wallets/{alice.wallet_id}"))


def test_reading_a_history_page(app, api):
    alice, bob = api.person(balance=5000), api.person()
    for amount in (100, 200, 300):
        assert api.transfer(alice, bob.wallet_id, amount).status_code == 201
    _check("history_page", _per_request(app, api, alice, f"/api/v1/wallets/{alice.wallet_id}/transactions?limit=20"))


def test_reading_a_filtered_history_page(app, api):
    alice, bob = api.person(balance=5000), api.person()
    for amount in (100, 200, 300):
        assert api.transfer(alice, bob.wallet_id, amount).status_code == 201
    day = clock.now().date().isoformat()
    path = f"/api/v1/wallets/{alice.wallet_id}/transactions?limit=2&type=transfer&status=succeeded&from={day}&to={day}"
    _check("history_page_filtered", _per_request(app, api, alice, path))


def test_reading_pending_payments(app, api):
    alice = api.person(balance=1000)
    set_pin(api, alice)
    _check("pending_payments", _per_request(app, api, alice, "/api/v1/payments/pending"))


@pytest.fixture(autouse=True, scope="module")
def _summary():
    yield
    print("\n(statements, round trips, transactions) per read:", FIGURES)

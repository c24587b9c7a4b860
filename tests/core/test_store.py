"""The security store: atomic claim-once and counters, on the database fallback and on Redis."""
import pytest

from app.core import clock
from app.core.store import DatabaseStore
from app.extensions import db


@pytest.fixture
def stores(app):
    found = [DatabaseStore(lambda: db.engine)]
    if not isinstance(app.extensions["store"], DatabaseStore):
        found.append(app.extensions["store"])  # the real Redis, when TEST_REDIS_URL is set
    return found


def test_set_nx_claims_a_key_once_until_it_expires(app, stores):
    with app.app_context():
        for store in stores:
            assert store.set_nx("nonce:abc", 60) is True
            assert store.set_nx("nonce:abc", 60) is False
            assert store.exists("nonce:abc")
        database_store = stores[0]
        clock.advance(61)
        assert database_store.set_nx("nonce:abc", 60) is True


def test_incr_counts_within_a_window_and_restarts_after_it(app, stores):
    with app.app_context():
        for store in stores:
            assert [store.incr("fail:x", 60) for _ in range(3)] == [1, 2, 3]
            store.delete("fail:x")
            assert store.get("fail:x") is None
        database_store = stores[0]
        database_store.incr("fail:y", 60)
        clock.advance(61)
        assert database_store.incr("fail:y", 60) == 1


def test_which_exist_tells_each_key_apart_whatever_it_holds(app, stores):
    # Redis answers it with one MGET: nil must mean "absent" for every kind of key we write
    with app.app_context():
        for store in stores:
            store.set("revoked:sid:one", 60)
            store.set("holds:empty", 60, value="")  # an empty value still exists
            store.incr("counter:one", 60)
            assert store.which_exist(["revoked:sid:one", "missing:key", "holds:empty", "counter:one"]) == [
                True, False, True, True]
            store.delete("revoked:sid:one")
            assert store.which_exist(["revoked:sid:one"]) == [False]

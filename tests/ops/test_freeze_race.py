"""A freeze crossing payments in flight, on PostgreSQL: after the freeze has committed, no payment
debits the wallet (each either committed before it or was refused), while money still comes in
under a 'debits' freeze. Two orders made certain with a transaction held open (the freeze waits
for a payment in flight; a payment waiting on the freeze sees it), then many clients at once."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from app.extensions import db
from tests.support.freezes import freeze
from tests.support.operators import make_operator

PAYERS = 8  # threads paying out of the wallet
AFTER = 6  # payments each paying thread still tries once the freeze has answered


def _debited(app, wallet_id: str) -> int:
    """What has left the wallet, as committed now (a connection of its own, a fresh snapshot)."""
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(sum(amount), 0) FROM transfers WHERE debit_account_id = :w"),
                            {"w": wallet_id}).scalar_one()


def _until_blocked(app, done: threading.Event, timeout: float = 30.0) -> bool:
    """True once a session of this database waits on a lock; False if `done` happened first.
    Asks PostgreSQL (pg_stat_activity), not the clock."""
    deadline = time.monotonic() + timeout
    with app.app_context(), db.engine.connect() as conn:
        while time.monotonic() < deadline:
            if done.is_set():
                return False
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar_one()
            conn.rollback()
            if waiting:
                return True
            time.sleep(0.005)
    raise AssertionError("nothing blocked and nothing finished in time")


def _in_thread(fn) -> tuple[threading.Thread, threading.Event, dict]:
    done, result = threading.Event(), {}

    def run() -> None:
        result["response"] = fn()
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done, result


def test_a_freeze_waits_for_the_payment_in_flight_and_that_payment_stands(app, api):
    """Broke once the freeze did not lock the wallets it covers: it answered 201 while the payment
    was still open, and the payment then committed a debit after the freeze."""
    support = make_operator(app, api, "support")
    payer, payee = api.person(balance=5_000), api.person()
    with app.app_context(), db.engine.connect() as payment:  # posted under the wallet's lock, not committed
        now = datetime.now(UTC)
        payment.execute(text("INSERT INTO transactions (id, type, status, amount, currency, debit_account_id, "
                             "credit_account_id, created_at) VALUES ('txn_inflight', 'transfer', 'succeeded', 300, "
                             "'USD', :d, :c, :now)"), {"d": payer.wallet_id, "c": payee.wallet_id, "now": now})
        payment.execute(text("SELECT * FROM ledger_post('trf_inflight', 'txn_inflight', 'posted', :d, :c, 300, 'USD', "
                             "NULL, NULL, NULL, :now)"), {"d": payer.wallet_id, "c": payee.wallet_id, "now": now})
        thread, done, result = _in_thread(lambda: freeze(api, support, payer, scope="all", expect=None))

        assert _until_blocked(app, done), "the freeze answered while a payment of the wallet was in flight"
        payment.commit()
    thread.join(timeout=30)

    assert result["response"].status_code == 201
    assert api.wallet(payer)["balance"] == 4_700  # committed before the freeze: it stands
    assert api.transfer(payer, payee.wallet_id, 100).status_code == 403
    assert api.verify_ledger() == []


def test_a_payment_waiting_on_the_freezes_lock_sees_the_freeze(app, api):
    """Broke once the check read the freezes before the wallet's lock was granted (a snapshot
    taken too early): the payment queued behind the freeze, then paid."""
    payer, payee = api.person(balance=5_000), api.person()
    with app.app_context(), db.engine.connect() as freezer:  # what the freeze service does, held open
        freezer.execute(text("SELECT 1 FROM accounts WHERE id = :w FOR NO KEY UPDATE"), {"w": payer.wallet_id})
        freezer.execute(text("INSERT INTO freezes (id, user_id, wallet_id, scope, reason, set_by, set_by_id, "
                             "created_at) VALUES ('frz_held', :u, :w, 'debits', 'test', 'user', :u, now())"),
                        {"u": payer.id, "w": payer.wallet_id})
        client = app.test_client()
        thread, done, result = _in_thread(lambda: client.post(
            "/api/v1/transfers", json={"to": payee.wallet_id, "amount": 100, "currency": "USD"},
            headers={**payer.auth, "Idempotency-Key": str(uuid.uuid4())}))

        assert _until_blocked(app, done), "the payment did not queue on the wallet's lock"
        freezer.commit()
    thread.join(timeout=30)

    assert (result["response"].status_code, result["response"].json["error"]["code"]) == (403, "wallet_frozen")
    assert api.wallet(payer)["balance"] == 5_000


def test_no_payment_debits_a_wallet_after_its_freeze_committed(app, api):
    """Broke once the freeze did not lock the wallets it covers (app.ops.freezes.services): a
    payment that had read "no freeze" under its own lock committed after the freeze, and the
    wallet's debits went on growing after the freeze had answered."""
    support = make_operator(app, api, "support")
    payer, payee, sender = api.person(balance=100_000), api.person(), api.person(balance=100_000)
    frozen = threading.Event()
    started = threading.Semaphore(0)
    outcomes: list[list[tuple[bool, int, str | None]]] = [[] for _ in range(PAYERS)]
    incoming: list[int] = []

    def pay(index: int) -> None:
        client, after = app.test_client(), 0
        while after < AFTER:
            was_frozen = frozen.is_set()
            response = client.post("/api/v1/transfers", json={"to": payee.wallet_id, "amount": 1, "currency": "USD"},
                                   headers={**payer.auth, "Idempotency-Key": str(uuid.uuid4())})
            code = response.json["error"]["code"] if response.status_code != 201 else None
            outcomes[index].append((was_frozen, response.status_code, code))
            started.release()
            after += was_frozen

    def send_in() -> None:
        client = app.test_client()
        for _ in range(20):
            response = client.post("/api/v1/transfers", json={"to": payer.wallet_id, "amount": 5, "currency": "USD"},
                                   headers={**sender.auth, "Idempotency-Key": str(uuid.uuid4())})
            incoming.append(response.status_code)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(PAYERS)] + [threading.Thread(target=send_in)]
    for thread in threads:
        thread.start()
    for _ in range(3 * PAYERS):  # payments are flowing before the freeze
        started.acquire(timeout=60)
    freeze(api, support, payer, wallet_id=payer.wallet_id, scope="debits", reason="fraud suspected")
    at_freeze = _debited(app, payer.wallet_id)
    frozen.set()
    for thread in threads:
        thread.join(timeout=120)

    # then: nothing left the wallet after the freeze answered, and every later try was refused
    assert _debited(app, payer.wallet_id) == at_freeze
    later = [o for per_thread in outcomes for o in per_thread if o[0]]
    assert len(later) >= PAYERS * AFTER
    assert {(status, code) for _, status, code in later} == {(403, "wallet_frozen")}
    passed = sum(1 for per_thread in outcomes for _, status, _ in per_thread if status == 201)
    assert passed == at_freeze > 0  # each succeeded payment is 1 and committed before the freeze
    assert all(o[1] in (201, 403) for per_thread in outcomes for o in per_thread)
    assert incoming == [201] * 20  # a debits freeze lets money in
    assert api.wallet(payer)["balance"] == 100_000 - at_freeze + 100
    assert api.verify_ledger() == []

"""Many clients at once on PostgreSQL: money is never created, lost or spent twice."""
import random
import threading
import time
import uuid

from sqlalchemy import func, select

from app.extensions import db
from app.wallet.models import Account, Transaction
from tests.support.env import postgres_only

THREADS = 32
SECONDS = 4.0


@postgres_only
def test_random_transfers_from_32_threads_keep_every_invariant(app, api):
    # given five people with money
    people = [api.person(name=f"P{i}", balance=20_000) for i in range(5)]
    acknowledged: dict[str, dict] = {}
    replays_differing: list[tuple] = []
    unexpected: list[tuple] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client_loop(seed: int):
        rng = random.Random(seed)
        client = app.test_client()
        while time.monotonic() < deadline:
            sender, receiver = rng.sample(people, 2)
            key = str(uuid.uuid4())
            body = {"to": receiver.wallet_id, "amount": rng.randint(1, 9_000), "currency": "USD"}
            headers = {**sender.auth, "Idempotency-Key": key}
            first = client.post("/api/v1/transfers", json=body, headers=headers)
            if first.status_code not in (201, 402):
                with lock:
                    unexpected.append((first.status_code, first.json))
                continue
            if rng.random() < 0.3:  # a retry of the same request, as after a lost connection
                again = client.post("/api/v1/transfers", json=body, headers=headers)
                if (again.status_code, again.json) != (first.status_code, first.json):
                    with lock:
                        replays_differing.append((first.json, again.json))
            if first.status_code == 201:
                with lock:
                    acknowledged[first.json["id"]] = body

    # when 32 clients transfer at random for a few seconds
    threads = [threading.Thread(target=client_loop, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then no request failed oddly, every retry got its first answer, and the books balance
    assert unexpected == []
    assert replays_differing == []
    assert len(acknowledged) > 50
    with app.app_context():
        transfers = db.session.execute(select(Transaction.id).where(Transaction.type == "transfer")).scalars().all()
        assert sorted(transfers) == sorted(acknowledged)  # each acknowledged transfer exists exactly once
        balances = db.session.execute(select(func.sum(Account.credits_posted - Account.debits_posted))
                                      .where(Account.currency == "USD")).scalar_one()
        assert balances == 0
        wallets = db.session.execute(select(Account).where(Account.kind == "user")).scalars().all()
        assert all(w.balance >= 0 for w in wallets)
        assert sum(w.balance for w in wallets) == 5 * 20_000
    assert api.verify_ledger() == []
    print(f"\n{THREADS} threads, {SECONDS:.0f} s: {len(acknowledged)} transfers acknowledged, "
          f"ledger verified")


@postgres_only
def test_the_same_idempotency_key_sent_by_many_threads_at_once_moves_money_once(app, api):
    # given one sender and one key
    alice = api.person(name="Alice", balance=10_000)
    bob = api.person(name="Bob")
    headers = {**alice.auth, "Idempotency-Key": "same-key-everywhere"}
    body = {"to": bob.wallet_id, "amount": 700, "currency": "USD"}
    answers = []
    barrier = threading.Barrier(16)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/transfers", json=body, headers=headers)
        answers.append((response.status_code, response.json["id"]))

    # when 16 threads send it at the same moment
    threads = [threading.Thread(target=send) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then all got the same answer and the money moved once
    assert len(set(answers)) == 1 and answers[0][0] == 201
    assert api.wallet(bob)["balance"] == 700
    assert api.wallet(alice)["balance"] == 9_300

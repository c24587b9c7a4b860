"""Workers as they run in production, on PostgreSQL: a real `flask webhooks work` process killed in
the middle of a delivery loses nothing, and two workers at once never send one delivery twice."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from tests.support.env import TEST_DATABASE_URL
from tests.support.payment_codes import charged, phone_of
from tests.support.terminals import make_terminal
from tests.support.webhooks import Receiver, deliver, deliveries, subscribe

ROOT = Path(__file__).resolve().parents[2]
FLASK = ROOT / ".venv" / "bin" / "flask"


def worker_env(app, **settings) -> dict[str, str]:
    """What a worker process needs to read this test's database and decrypt its secrets (the
    shape of bench.environment.app_env: production settings, nothing written to instance/)."""
    env = dict(os.environ)
    env.update({"APP_ENV": "production", "FLASK_APP": "wsgi", "DATABASE_URL": TEST_DATABASE_URL,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "JWT_SIGNING_KEYS": f"w{secrets.token_hex(3)}:{secrets.token_urlsafe(48)}",
                "DATA_ENCRYPTION_KEY": app.config["DATA_ENCRYPTION_KEY"], "HASH_PEPPER": app.config["HASH_PEPPER"],
                "PYTHONUNBUFFERED": "1", "WEBHOOK_ALLOW_LOCAL": "true",  # the receiver is on 127.0.0.1
                **{k: str(v) for k, v in settings.items()}})
    env.pop("REDIS_URL", None)
    return env


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(FLASK), "webhooks", "work"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_worker_killed_mid_delivery_loses_nothing(app, api):
    # given a payment whose event the receiver will be slow to answer the first time
    with Receiver(delays=[60]) as receiver:
        owner = api.person(name="Shop Owner")
        terminal = make_terminal(api, owner=owner)
        subscribe(api, owner, terminal.merchant_id, receiver, ["payment.succeeded"])
        charged(terminal, phone_of(api, api.person(name="Alice", balance=5000)), 900)
        env = worker_env(app, WEBHOOK_TIMEOUT=8, WEBHOOK_LEASE=10, WEBHOOK_POLL_INTERVAL=1)
        # (a short lease so the test does not wait a minute; it outlasts the timeout, as it must)

        # when a worker process is killed while the receiver holds its request
        first = start_worker(env)
        try:
            receiver.wait_for(1, timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        [leased] = deliveries(api, owner, terminal.merchant_id)
        assert leased["status"] == "pending" and leased["attempts"] == 1 and leased["attempt_log"] == []

        # and another worker is started
        second = start_worker(worker_env(app, WEBHOOK_TIMEOUT=2, WEBHOOK_LEASE=3, WEBHOOK_POLL_INTERVAL=1))
        try:
            receiver.wait_for(2, timeout=60)
            deadline = time.monotonic() + 20
            while deliveries(api, owner, terminal.merchant_id)[0]["status"] != "succeeded":
                assert time.monotonic() < deadline, "the second worker did not record its delivery"
                time.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)  # finishes its round, then exits
            output = second.communicate(timeout=20)[0]
        assert second.returncode == 0, output

    # then the event arrived (at least once: here twice, with one webhook-id to de-duplicate by)
    receiver.verified()
    assert len(receiver.hits) == 2 and len(set(receiver.ids())) == 1
    [done] = deliveries(api, owner, terminal.merchant_id)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    lost, ok = reversed(done["attempt_log"])
    assert lost["status_code"] is None and "worker stopped" in lost["error"] and ok["status_code"] == 200


def test_two_workers_at_once_deliver_each_of_50_events_exactly_once(app, api):
    with Receiver(delays=[0.02] * 200) as receiver:
        owner = api.person(name="Shop Owner")
        terminal = make_terminal(api, owner=owner)
        endpoint = subscribe(api, owner, terminal.merchant_id, receiver)
        test = f"/api/v1/merchants/{terminal.merchant_id}/webhooks/{endpoint['id']}/test"
        for _ in range(50):
            assert api.post(test, owner).status_code == 202

        handled: list[int] = []
        workers = [threading.Thread(target=lambda: handled.append(deliver(app, batch=5))) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)

        receiver.verified()
        counts = Counter(receiver.ids())
        assert len(counts) == 50 and set(counts.values()) == {1}
        assert sum(handled) == 50 and len(handled) == 2 and all(handled)  # both took part
        page = deliveries(api, owner, terminal.merchant_id, limit=100)
        assert len(page) == 50 and {(d["status"], d["attempts"]) for d in page} == {("succeeded", 1)}

"""A merchant's webhook receiver, for real: an HTTP server on 127.0.0.1 in a thread that checks
every request with the reference `standardwebhooks` library, as a merchant's server would.

    with Receiver(answers=[500, 200]) as receiver:      # then 200 for every later request
        receiver.secret = created["secret"]              # known once the endpoint exists
        ...; receiver.wait_for(1)
        assert receiver.verified_ids() == [...]
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

from tests.support.api import Api, Person


@dataclass
class Hit:
    headers: dict
    body: bytes
    payload: dict | None  # what Webhook.verify returned; None when verification failed
    error: str | None

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)  # status per request, in order; then 200
    delays: list[float] = field(default_factory=list)  # seconds to sleep before answering, per request
    location: str | None = None  # sent with 3xx answers
    secret: str | None = None
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._hit = threading.Condition(self._lock)  # notified on every request, for wait_for
        self._release = threading.Event()  # ends any sleep at once when the receiver stops
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, delay = receiver._record({k.lower(): v for k, v in self.headers.items()}, body)
                if delay:
                    receiver._release.wait(delay)
                self.send_response(status)
                if 300 <= status < 400 and receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def _record(self, headers: dict, body: bytes) -> tuple[int, float]:
        try:
            payload, error = Webhook(self.secret).verify(body, headers), None
        except Exception as exc:  # noqa: BLE001 - WebhookVerificationError, or no secret set yet
            payload, error = None, f"{type(exc).__name__}: {exc}"
        with self._lock:
            index = len(self.hits)
            self.hits.append(Hit(headers, body, payload, error))
            self._hit.notify_all()
        status = self.answers[index] if index < len(self.answers) else 200
        delay = self.delays[index] if index < len(self.delays) else 0
        return (400 if error else status), delay  # a receiver refuses what it cannot verify

    def __enter__(self) -> Receiver:  # noqa: PYI034 - a dataclass, never subclassed
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20) -> list[Hit]:
        with self._hit:
            self._hit.wait_for(lambda: len(self.hits) >= count, timeout)
        assert len(self.hits) >= count, f"the receiver got {len(self.hits)} request(s), expected {count}"
        return self.hits

    def verified(self) -> list[dict]:
        """Every request's verified payload; fails the test if any request did not verify."""
        problems = [hit.error for hit in self.hits if hit.payload is None]
        assert not problems, problems
        return [hit.payload for hit in self.hits]

    def ids(self) -> list[str]:
        return [hit.webhook_id for hit in self.hits]

    def types(self) -> list[str]:
        return [json.loads(hit.body)["type"] for hit in self.hits]


# --- the merchant's side, through the API, and running the worker in this process -------------

ALL_EVENTS = ["payment.succeeded", "payment.failed", "refund.succeeded", "authorization.captured",
              "authorization.voided", "batch.closed"]


def register(api: Api, staff: Person, merchant_id: str, url: str, events: list[str] | None = None):
    """POST .../webhooks; the raw response."""
    return api.post(f"/api/v1/merchants/{merchant_id}/webhooks", staff,
                    json={"url": url, "events": ALL_EVENTS if events is None else events})


def subscribe(api: Api, staff: Person, merchant_id: str, receiver: Receiver, events: list[str] | None = None) -> dict:
    """An endpoint pointing at `receiver`, which learns its secret."""
    response = register(api, staff, merchant_id, receiver.url, events)
    assert response.status_code == 201, response.json
    receiver.secret = response.json["secret"]
    return response.json


def deliver(app, **kwargs) -> int:
    """`flask webhooks work --once`, in this process."""
    from app.merchant.webhooks.worker import run
    with app.app_context():
        return run(once=True, **kwargs)


def deliveries(api: Api, staff: Person, merchant_id: str, **query) -> list[dict]:
    response = api.get(f"/api/v1/merchants/{merchant_id}/webhook-deliveries", staff, query_string=query)
    assert response.status_code == 200, response.json
    return response.json["data"]


def stored_events(app, type: str | None = None) -> list[tuple[str, str]]:
    """(id, type) of every event in the outbox."""
    from sqlalchemy import select

    from app.extensions import db
    from app.merchant.webhooks.models import WebhookEvent
    with app.app_context():
        query = select(WebhookEvent.id, WebhookEvent.type).order_by(WebhookEvent.created_at)
        if type is not None:
            query = query.where(WebhookEvent.type == type)
        return [tuple(row) for row in db.session.execute(query)]

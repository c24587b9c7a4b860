"""An HTTP client that behaves like a phone or a till on a bad network: it may lose a request's
answer and retries with the same Idempotency-Key, possibly on another server, until it gets one.

Who is calling is a `headers_for(method, path, payload)` function: a bearer token for a phone, a
fresh signature (new nonce and timestamp) per attempt for a terminal, as real firmware must.
"""
from __future__ import annotations

import http.client
import json
import random
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlparse

from app.pos import signing

GIVE_UP_AFTER = 30.0
HeadersFor = Callable[[str, str, bytes], dict]


@dataclass
class Outcome:
    status: int
    body: dict
    seen: list[tuple[int, str]] = field(default_factory=list)  # every definitive answer for the key


def bearer(token: str) -> HeadersFor:
    return lambda method, path, payload: {"Authorization": f"Bearer {token}"}


def terminal(terminal_id: str, secret: str) -> HeadersFor:
    def headers(method: str, path: str, payload: bytes) -> dict:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        return {"X-Terminal-Id": terminal_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                "X-Signature": signing.sign(secret, method, path, timestamp, nonce, payload)}
    return headers


def _send(url: str, method: str, path: str, payload: bytes, headers: dict,
          timeout: float) -> tuple[int, bytes, str | None]:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Retry-After")
    finally:
        conn.close()


def _code(raw: bytes) -> str | None:
    try:
        return json.loads(raw)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def call_with_retries(urls: list[str], method: str, path: str, body: dict | None, *, headers_for: HeadersFor,
                      key: str, cut_first: bool, rng: random.Random) -> Outcome | None:
    """The first definitive answer (not a 5xx, a 429 or 409 idempotency_in_progress: those say
    "later"), plus maybe one deliberate replay of the same key;
    None if nothing answered within GIVE_UP_AFTER (the operation may or may not have happened)."""
    payload = b"" if body is None else json.dumps(body).encode()
    outcome: Outcome | None = None
    deadline = time.monotonic() + GIVE_UP_AFTER
    attempt = 0
    while time.monotonic() < deadline:
        url = urls[attempt % len(urls)]
        # The first try of a "cut" request gives up after 2 ms: the server may still finish it.
        timeout = 0.002 if cut_first and attempt == 0 else 10.0
        attempt += 1
        headers = {"Idempotency-Key": key, **headers_for(method, path, payload)}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            status, raw, retry_after = _send(url, method, path, payload, headers, timeout)
        except (OSError, http.client.HTTPException, socket.timeout):
            time.sleep(0.02)
            continue
        if status >= 500 or status == 429:  # a killed worker, Redis down, "later": not an answer
            time.sleep(0.05)
            continue
        if status == 409 and _code(raw) == "idempotency_in_progress":
            # The first attempt with this key is still running: not an answer. Ask again after
            # the Retry-After the server gave, as a client must (seen on a loaded CI machine).
            time.sleep(float(retry_after or 1))
            continue
        answer = (status, raw.decode())
        if outcome is None:
            outcome = Outcome(status, json.loads(raw) if raw else {}, [answer])
            if rng.random() < 0.2:
                continue  # ask once more with the same key: the answer must be the same
            return outcome
        outcome.seen.append(answer)
        return outcome
    return outcome

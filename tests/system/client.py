"""An HTTP client that behaves like a phone on a bad network: it may lose a request's answer
and retries with the same Idempotency-Key, possibly on another server, until it gets one."""
from __future__ import annotations

import http.client
import json
import random
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

GIVE_UP_AFTER = 30.0


@dataclass
class Outcome:
    status: int
    body: dict
    seen: list[tuple[int, str]] = field(default_factory=list)  # every definitive answer for the key


def _send(url: str, method: str, path: str, payload: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def call_with_retries(urls: list[str], method: str, path: str, body: dict, *, token: str, key: str,
                      cut_first: bool, rng: random.Random) -> Outcome | None:
    payload = json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"}
    outcome: Outcome | None = None
    deadline = time.monotonic() + GIVE_UP_AFTER
    attempt = 0
    while time.monotonic() < deadline:
        url = urls[attempt % len(urls)]
        # The first try of a "cut" request gives up after 2 ms: the server may still finish it.
        timeout = 0.002 if cut_first and attempt == 0 else 10.0
        attempt += 1
        try:
            status, raw = _send(url, method, path, payload, headers, timeout)
        except (OSError, http.client.HTTPException, socket.timeout):
            time.sleep(0.02)
            continue
        if status >= 500:  # a killed worker or Redis down: not an answer, try again
            time.sleep(0.05)
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

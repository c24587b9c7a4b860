"""The bank test's operator: while the clients pay, an admin freezes and unfreezes wallets and
whole users over HTTP, as the operator console would. Each freeze is short: some end by
themselves (ends_at a few seconds ahead), the others are lifted by the operator. What was frozen
is read back from the freezes table by the check "a frozen wallet never pays" (checks.py), not
from what this thread believes it did: a request cut off by a killed worker may or may not have
happened."""
from __future__ import annotations

import http.client
import json
import random
import socket
import time
from datetime import UTC, datetime, timedelta

from bench import environment
from tests.system.client import _send

ADMIN_EMAIL, ADMIN_PASSWORD = "bank-operator@example.com", "bank-Operator-9-password"


def sign_in_operator(env: dict, urls: list[str]) -> str:
    """An admin (who may freeze) made by the CLI, signed in over HTTP: its access token."""
    environment.flask(env, "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--name", "Bank Ops")
    status, body = _call(urls, "POST", "/api/v1/auth/login", {"identifier": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                         None, time.monotonic() + 30)
    if status != 200:
        raise RuntimeError(f"the operator could not sign in: {status} {body}")
    return body["access_token"]


def _call(urls: list[str], method: str, path: str, body: dict, token: str | None, deadline: float):
    """(status, body) of the first answer that is not a 5xx or 429, or (None, None) by the deadline."""
    payload = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    attempt = 0
    while time.monotonic() < deadline:
        try:
            status, raw, _ = _send(urls[attempt % len(urls)], method, path, payload, headers, 10.0)
        except (OSError, http.client.HTTPException, socket.timeout):
            status, raw = 503, b""
        attempt += 1
        if status < 500 and status != 429:
            return status, json.loads(raw) if raw else {}
        time.sleep(0.05)
    return None, None


def run_freezer(seed: dict, urls: list[str], token: str, deadline: float, report, lock, rng: random.Random) -> None:
    """One freeze at a time, of a random user's wallet or of the whole user, 'all' or 'debits',
    held about 1-3 s; about half end by themselves, the rest are lifted."""
    while time.monotonic() < deadline - 2:
        user = rng.choice(seed["users"])
        held = rng.uniform(1.0, 3.0)
        ends_by_itself = rng.random() < 0.5
        ends_at = (datetime.now(UTC) + timedelta(seconds=held)).isoformat() if ends_by_itself else None
        status, body = _call(urls, "POST", "/api/v1/admin/freezes", {
            "user_id": user["id"], "wallet_id": rng.choice([user["wallet"], None]), "scope": rng.choice(["all", "debits"]),
            "reason": "bank test", "ends_at": ends_at}, token, deadline)
        with lock:
            report.desk["freeze"] = report.desk.get("freeze", 0) + 1
            if status is not None and status != 201:
                report.violations.append(f"freeze refused: {status} {body}")
        time.sleep(held)
        if status == 201 and not ends_by_itself:
            status, body = _call(urls, "POST", f"/api/v1/admin/freezes/{body['id']}/lift", {"reason": "bank test"},
                                 token, deadline + 10)
            with lock:
                report.desk["lift"] = report.desk.get("lift", 0) + 1
                if status is not None and status != 200:
                    report.violations.append(f"lift refused: {status} {body}")
        time.sleep(rng.uniform(0.2, 1.0))

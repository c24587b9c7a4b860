"""The product as production serves it (app.serve's granian command, 2 workers), on a database
of its own on the test PostgreSQL with a few seeded users and one merchant with a terminal, for
the system tests that need the real server: test_slow_clients, test_server_edges.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import time
from pathlib import Path

from bench import environment
from bench.servers import Server
from tests.support.env import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.system.client import terminal

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


@contextlib.contextmanager
def production_server(workdir: Path, name: str, **settings: str):
    database_url = environment.recreate_database(TEST_DATABASE_URL, name)
    env = environment.app_env(database_url, TEST_REDIS_URL or "", token_ttl=3600)
    if not TEST_REDIS_URL:
        env.pop("REDIS_URL")
    env.update({"METRICS_TOKEN": METRICS_TOKEN, "REQUEST_LOG": "0", **settings})
    environment.migrate(env)
    environment.lift_limits(env["DATABASE_URL"])
    seed_file = workdir / "seed.json"
    environment.seed(env, users=4, merchants=1, balance=1_000_000, devices=0, webhook_url=None, out=seed_file)
    server = Server(env, workers=2, threads=8, log_path=workdir / "server.log", kind="rsgi")
    server.start(ready_timeout=120)
    try:
        yield server, json.loads(seed_file.read_text())
    finally:
        server.stop()


def call(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict, float]:
    """One request on a fresh connection: status, JSON body, seconds taken."""
    payload = json.dumps(body).encode() if body is not None else b""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload or None, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw.startswith(b"{") else {"text": raw.decode()}), \
            time.monotonic() - started
    finally:
        connection.close()


def signed(till: dict, method: str, path: str, body: dict | None = None) -> dict:
    payload = json.dumps(body).encode() if body is not None else b""
    return terminal(till["id"], till["secret"])(method, path, payload)

"""Signed requests to the server (README, "Terminals and vending machines: signed requests")."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
from urllib.parse import urlsplit


class Client:
    def __init__(self, base_url: str, terminal_id: str, secret: str, *, clock=time.time) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.terminal_id, self.secret, self.clock = parts.hostname, parts.port, terminal_id, secret, clock

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        timestamp, nonce = str(int(self.clock())), secrets.token_hex(16)
        to_sign = "\n".join([method, path, timestamp, nonce, hashlib.sha256(raw).hexdigest()])
        headers = {"X-Terminal-Id": self.terminal_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "X-Signature": hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()}
        if raw:
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=raw or None, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def config(self) -> dict:
        status, answer = self.request("GET", "/api/v1/pos/config")
        if status != 200:
            raise ConnectionError(f"config: {status} {answer}")
        return answer

    def upload(self, records: list[dict]) -> dict:
        status, answer = self.request("POST", "/api/v1/pos/offline/sales", {"records": records})
        if status != 200:
            raise ConnectionError(f"upload: {status} {answer}")
        return answer

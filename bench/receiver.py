"""The merchants' webhook receiver during a bench run: python -m bench.receiver --port P --secrets F

A ThreadingHTTPServer on 127.0.0.1 in its own process (its CPU is neither the app's nor the
load generator's). Endpoints are registered as http://127.0.0.1:P/hooks/<merchant id>; each
delivery is checked against that endpoint's secret (Standard Webhooks, app.merchant.webhooks.signing)
and answered 200, or 400 when the signature is wrong, as a merchant's server would. It counts
deliveries, distinct webhook-ids (delivery is at least once, so duplicates are legal but worth
seeing) and bad signatures; GET /stats returns the counts as JSON.
"""
from __future__ import annotations

import argparse
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.merchant.webhooks.signing import signature

PREFIX = "/hooks/"


class Tally:
    def __init__(self, secrets: dict[str, str]):
        self.secrets, self.lock = secrets, threading.Lock()
        self.deliveries, self.bad_signature, self.ids, self.types = 0, 0, set(), Counter()

    def record(self, merchant_id: str, headers, body: bytes) -> bool:
        secret, msg_id = self.secrets.get(merchant_id), headers.get("webhook-id", "")
        try:
            expected = signature(secret, msg_id, int(headers.get("webhook-timestamp", "")), body.decode())
            good = any(hmac.compare_digest(expected, given) for given in headers.get("webhook-signature", "").split())
            kind = json.loads(body).get("type", "?")
        except (TypeError, ValueError, AttributeError):  # no such endpoint, bad timestamp or body
            good, kind = False, "?"
        with self.lock:
            self.deliveries += 1
            self.ids.add(msg_id)
            self.types[kind] += 1
            self.bad_signature += not good
        return good

    def stats(self) -> dict:
        with self.lock:
            return {"deliveries": self.deliveries, "unique": len(self.ids), "bad_signature": self.bad_signature,
                    "by_type": dict(self.types)}


def serve(port: int, tally: Tally) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive if the sender wants it (urllib closes anyway)

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.startswith(PREFIX):
                return self._answer(404)
            self._answer(200 if tally.record(self.path[len(PREFIX):], self.headers, body) else 400)

        def do_GET(self):
            if self.path != "/stats":
                return self._answer(404)
            self._answer(200, json.dumps(tally.stats()).encode())

        def log_message(self, *args):  # one line per delivery would be most of the run's output
            pass

    class Server(ThreadingHTTPServer):
        # The default listen backlog (5) is shorter than a worker's round (WEBHOOK_BATCH parallel
        # sends): the surplus connections were reset, and retried 5 s later.
        request_queue_size = 256
        daemon_threads = True

    return Server(("127.0.0.1", port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secrets", required=True, help="JSON file: {merchant id: whsec_... secret}")
    args = parser.parse_args(argv)
    with open(args.secrets) as fh:
        tally = Tally(json.load(fh))
    serve(args.port, tally).serve_forever()


if __name__ == "__main__":
    main()

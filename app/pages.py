"""The web pages under static/: the wallet at `/`, with its manifest and service worker; the
merchant dashboard at `/merchant` (static/merchant/, which imports the wallet's modules); and the
terminal simulator at `/terminal` (a till and a vending machine that sign their own requests); and
the operator console at `/admin` (static/admin/, on the /api/v1/admin endpoints).

The service worker is served from `/sw.js` (not /static/...) because a worker controls only the
paths under its own URL, and the wallet lives at `/`. A worker runs under the CSP that comes
with its script, so it gets one that lets it fetch this origin (the JSON policy every other
non-HTML answer gets would forbid the worker any fetch).
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory

WALLET = Path(__file__).resolve().parent.parent / "static" / "wallet"
MERCHANT = WALLET.parent / "merchant"
TERMINAL = WALLET.parent / "terminal"
ADMIN = WALLET.parent / "admin"
WORKER_POLICY = "default-src 'none'; connect-src 'self'; script-src 'self'"


def register_pages(app: Flask) -> None:
    @app.get("/", doc_ui=False)
    def wallet_page():
        # no-cache: the service worker keeps the shell for offline use; online, the page is always fresh.
        return send_from_directory(WALLET, "index.html", max_age=0)

    @app.get("/merchant", doc_ui=False)
    def merchant_page():
        return send_from_directory(MERCHANT, "index.html", max_age=0)

    @app.get("/manifest.webmanifest", doc_ui=False)
    def wallet_manifest():
        return send_from_directory(WALLET, "manifest.webmanifest", mimetype="application/manifest+json", max_age=0)

    @app.get("/sw.js", doc_ui=False)
    def wallet_worker():
        response = send_from_directory(WALLET, "sw.js", mimetype="text/javascript", max_age=0)
        response.headers["Content-Security-Policy"] = WORKER_POLICY
        return response

    @app.get("/terminal", doc_ui=False)
    def terminal_page():
        # Not under the wallet's service worker (its scope is `/` but it caches only the wallet's shell).
        return send_from_directory(TERMINAL, "index.html", max_age=0)

    @app.get("/admin", doc_ui=False)
    def admin_page():
        return send_from_directory(ADMIN, "index.html", max_age=0)

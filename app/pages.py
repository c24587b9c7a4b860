"""The web pages under static/: the wallet at `/`, with its manifest and service worker; the
merchant dashboard at `/merchant` (static/merchant/, which imports the wallet's modules); and the
terminal simulator at `/terminal` (a till and a vending machine that sign their own requests); and
the operator console at `/admin` (static/admin/, on the /api/v1/admin endpoints).

The service worker is served from `/sw.js` (not /static/...) because a worker controls only the
paths under its own URL, and the wallet lives at `/`. A worker runs under the CSP that comes
with its script, so it gets one that lets it fetch this origin (the JSON policy every other
non-HTML answer gets would forbid the worker any fetch).

The sign-in forms are the same on the wallet and the dashboard (the same ids, driven by the same
module): one copy, static/wallet/signin.html, which the server puts into each page where its
`<!-- signin -->` line stands. Where its `<!-- demo-hint -->` line stands (and the console's) goes
the page's list of demo accounts when the server runs on demo data (app.demo_signins), else nothing.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, Response, current_app, send_from_directory

from app.demo_signins import demo_signins

WALLET = Path(__file__).resolve().parent.parent / "static" / "wallet"
MERCHANT = WALLET.parent / "merchant"
TERMINAL = WALLET.parent / "terminal"
ADMIN = WALLET.parent / "admin"
WORKER_POLICY = "default-src 'none'; connect-src 'self'; script-src 'self'"
SIGNIN = WALLET / "signin.html"
_DEMO_HINT = re.compile(r"^ *<!-- demo-hint -->\n", re.MULTILINE)


def with_signin(folder: Path) -> Response:
    """folder/index.html with the shared sign-in forms in place (read per request: a few KiB, and
    an edit shows without a restart, as for the other static files), and the demo accounts."""
    page = (folder / "index.html").read_text(encoding="utf-8")
    forms = SIGNIN.read_text(encoding="utf-8").split("-->\n", 1)[1]  # without its comment
    page = page.replace("<!-- signin -->\n", forms, 1)
    demo = demo_signins(folder.name) if current_app.config.get("DEMO_SIGNINS") else ""
    response = Response(_DEMO_HINT.sub(lambda _match: demo, page, count=1), mimetype="text/html")
    response.cache_control.no_cache, response.cache_control.max_age = True, 0  # as send_from_directory(max_age=0)
    return response


def register_pages(app: Flask) -> None:
    @app.get("/", doc_ui=False)
    def wallet_page():
        # no-cache: the service worker keeps the shell for offline use; online, the page is always fresh.
        return with_signin(WALLET)

    @app.get("/merchant", doc_ui=False)
    def merchant_page():
        return with_signin(MERCHANT)

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
        return with_signin(ADMIN)  # its own sign-in forms (password first, no sign-up); the demo list

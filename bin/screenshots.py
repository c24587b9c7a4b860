"""bin/screenshots: PNGs of each page for the README, in docs/screenshots/.

The app runs in this process over real HTTP (werkzeug in a thread, as tests/support/live_server.py
does) on a database whose schema this script DROPS and rebuilds, then `flask seed-demo`'s data
and a little traffic (a transfer, a paid till code, a pending adjustment), so the screens show
something. Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven by playwright.

    bin/screenshots                                   # embedded PostgreSQL under instance/screenshots-pgdata
    SCREENSHOTS_DATABASE_URL=postgresql://... bin/screenshots   # a scratch database: it is wiped
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
PASSWORD = "demo-Password-1"


def database_url() -> str:
    if os.environ.get("SCREENSHOTS_DATABASE_URL"):
        from sqlalchemy.engine import make_url
        url = make_url(os.environ["SCREENSHOTS_DATABASE_URL"]).set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    from app.core.embedded_postgres import start
    return start(ROOT / "instance" / "screenshots-pgdata", "screenshots")


def make_app(instance: Path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url(), "REDIS_URL": None,
                      "OTP_OUTBOX": str(instance / "outbox.jsonl"),
                      "DEMO_SIGNINS": True})  # seed-demo's data, as bin/run: the sign-in pages list it
    with app.app_context():
        with db.engine.begin() as conn:  # a scratch database: start from nothing, every run the same
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
    return app


def seed(app) -> tuple[str, str, dict]:
    """seed-demo, then some traffic; answers the demo till's id and secret, and Alice's auth header."""
    from app.cli_seed import seed_demo_data
    with app.app_context():
        lines = seed_demo_data()
    till_id, secret = re.search(r"pos terminal (ter_\w+) signs with secret (\S+)", "\n".join(lines)).groups()
    client = app.test_client()
    token = {who: client.post("/api/v1/auth/login", json={"identifier": f"{who}@demo.test", "password": PASSWORD})
             .json["access_token"] for who in ("alice", "bob", "finance")}
    auth = {who: {"Authorization": f"Bearer {t}"} for who, t in token.items()}
    client.post("/api/v1/transfers", headers=auth["alice"] | {"Idempotency-Key": str(uuid.uuid4())},
                json={"to": "bob@demo.test", "amount": 1_250, "currency": "USD", "note": "Lunch on Friday"})
    bob_wallet = client.get("/api/v1/wallets", headers=auth["bob"]).json["data"][0]["id"]
    client.post("/api/v1/admin/adjustments", headers=auth["finance"], json={
        "wallet_id": bob_wallet, "direction": "credit", "amount": 500, "currency": "USD",
        "reason": "card charged twice at the canteen", "reference": "CASE-1001"})
    return till_id, secret, auth["alice"]


def serve(app) -> str:
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def signed_in(browser, url: str, path: str, who: str, viewport: dict, *, open_details: bool = False):
    page = browser.new_context(viewport=viewport, base_url=url).new_page()
    page.set_default_timeout(10_000)
    page.goto(path)
    if open_details:
        page.get_by_text("Sign in with a password").click()
    form = page.locator("#password-login")
    form.get_by_label("Phone or e-mail").fill(f"{who}@demo.test")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    page.locator("#who").filter(has_text=re.compile(".")).wait_for()
    return page


def shoot(page, name: str, *, full_page: bool = True) -> None:
    page.wait_for_timeout(300)  # let the last list render before the picture
    page.screenshot(path=str(OUT / name), full_page=full_page)
    print(f"docs/screenshots/{name}")


def main() -> int:
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(Path(instance))
        till_id, secret, alice = seed(app)
        url = serve(app)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            # the till: connected, a code on screen; Alice pays it, so the dashboard has a sale
            till = browser.new_context(viewport=DESKTOP, base_url=url).new_page()
            till.goto("/terminal")
            till.get_by_label("Terminal id").fill(till_id)
            till.get_by_label("Terminal secret").fill(secret)
            till.get_by_role("button", name="Connect").click()
            till.get_by_label("Amount", exact=True).fill("4.50")
            with till.expect_response(lambda r: r.url.endswith("/payment-requests")) as made:
                till.get_by_role("button", name="Show QR code").click()
            till.locator("#request-status").filter(has_text="Waiting").wait_for()
            shoot(till, "terminal-till.png")
            client = app.test_client()
            wallet_id = client.get("/api/v1/wallets", headers=alice).json["data"][0]["id"]
            paid = client.post("/api/v1/qr/payments", headers=alice | {"Idempotency-Key": str(uuid.uuid4())},
                               json={"payload": made.value.json()["payload"], "wallet_id": wallet_id})
            assert paid.status_code == 201, paid.json
            till.locator("#request-status").filter(has_text="Paid").wait_for()

            wallet = signed_in(browser, url, "/", "alice", PHONE, open_details=True)
            wallet.locator("#balances .balance").first.wait_for()
            shoot(wallet, "wallet-home-phone.png", full_page=False)
            wallet.locator("#tabs").get_by_role("button", name="History").click()
            wallet.locator("#history-list li").first.wait_for()
            shoot(wallet, "wallet-history-phone.png", full_page=False)

            merchant = signed_in(browser, url, "/merchant", "carol", DESKTOP, open_details=True)
            merchant.locator("#sales-table tbody tr").first.wait_for()
            shoot(merchant, "merchant-sales.png")

            console = signed_in(browser, url, "/admin", "finance2", DESKTOP)
            console.get_by_label("Phone, e-mail, wallet id or name").fill("bob@demo.test")
            console.get_by_role("button", name="Find", exact=True).click()
            console.locator("#user-verify").filter(has_text="Ledger check").wait_for()
            shoot(console, "admin-user.png")
            console.get_by_role("button", name="Adjustments").click()
            console.locator("#adjustment-table tbody tr").first.wait_for()
            shoot(console, "admin-adjustments.png", full_page=False)
            phone = signed_in(browser, url, "/admin", "support", PHONE)
            phone.get_by_role("button", name="Audit trail").click()
            phone.locator("#audit-table tbody tr").first.wait_for()
            shoot(phone, "admin-audit-phone.png", full_page=False)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

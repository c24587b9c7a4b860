"""The wallet's files as the server hands them out (the browser tests drive the page itself)."""
from __future__ import annotations

import json
import re

from app.pages import WORKER_POLICY


def test_the_wallet_is_at_the_root_under_the_page_policy(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "manifest-src 'self'" in policy and "worker-src 'self'" in policy  # else the PWA parts are refused
    assert '<script type="module" src="/static/wallet/js/main.js">' in response.get_data(as_text=True)


def test_the_merchant_dashboard_is_at_merchant_under_the_page_policy(client):
    response = client.get("/merchant")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert '<script type="module" src="/static/merchant/js/main.js">' in response.get_data(as_text=True)


def test_the_manifest_makes_it_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone" and manifest["icons"]


def test_the_service_worker_may_fetch_this_origin_and_caches_every_module(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    # A worker runs under its script's policy: the JSON policy ("default-src 'none'") would forbid its fetches.
    assert response.headers["Content-Security-Policy"] == WORKER_POLICY
    worker = response.get_data(as_text=True)
    from app.pages import WALLET
    for path in sorted(WALLET.rglob("*.js")) + sorted(WALLET.rglob("*.mjs")):
        if path.name != "sw.js":
            assert f'"/static/wallet/{path.relative_to(WALLET)}"' in worker, f"{path.name} is not in the app shell"


def test_the_terminal_simulator_is_at_terminal_under_the_page_policy_with_a_label_on_every_control(client):
    from html.parser import HTMLParser
    response = client.get("/terminal")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/static/terminal/js/main.js">' in page and "<script>" not in page

    class Controls(HTMLParser):  # inputs need <label for=id> or an enclosing <label>
        def __init__(self):
            super().__init__()
            self.depth, self.labelled, self.unlabelled, self.ids = 0, set(), [], []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "label":
                self.depth += 1
                self.labelled.add(attrs.get("for"))
            elif tag in ("input", "select", "textarea") and not self.depth:
                self.ids.append(attrs.get("id"))

        def handle_endtag(self, tag):
            self.depth -= tag == "label"

    controls = Controls()
    controls.feed(page)
    assert controls.ids and [i for i in controls.ids if i not in controls.labelled] == []


def test_the_operator_console_is_at_admin_under_the_page_policy_with_a_label_on_every_control(client):
    from html.parser import HTMLParser
    response = client.get("/admin")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/static/admin/js/main.js">' in page and "<script>" not in page

    class Controls(HTMLParser):  # each control named by <label for=id> or aria-label
        def __init__(self):
            super().__init__()
            self.labelled, self.controls = set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "label":
                self.labelled.add(attrs.get("for"))
            elif tag in ("input", "select", "textarea"):
                self.controls.append((attrs.get("id"), attrs.get("aria-label")))

    controls = Controls()
    controls.feed(page)
    assert controls.controls
    assert [c for c in controls.controls if c[0] not in controls.labelled and not c[1]] == []


def test_the_wallet_and_the_dashboard_serve_the_one_copy_of_the_sign_in_forms(client):
    from app.pages import SIGNIN
    shared = SIGNIN.read_text().split("-->\n", 1)[1].split("  <!-- demo-hint -->\n")
    wallet, merchant = (client.get(path).get_data(as_text=True) for path in ("/", "/merchant"))
    for page in (wallet, merchant):
        assert page.count('<section id="signin"') == 1 and all(part in page for part in shared)
        assert "<!-- signin -->" not in page and "demo-hint" not in page


def test_without_demo_data_no_page_names_a_demo_account_or_its_password(client):
    """Before DEMO_SIGNINS every page printed the demo accounts and password, production's too."""
    for path in ("/", "/merchant", "/admin"):
        page = client.get(path).get_data(as_text=True)
        assert "@demo.test" not in page and "demo-Password" not in page and "demo-hint" not in page, path


def test_on_demo_data_each_sign_in_page_lists_its_own_demo_accounts(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_SIGNINS", True)
    expected = {"/": ["alice@demo.test", "bob@demo.test", "carol@demo.test"], "/merchant": ["carol@demo.test"],
                "/admin": ["support@demo.test", "finance@demo.test", "finance2@demo.test", "admin@demo.test"]}
    for path, emails in expected.items():
        page = client.get(path).get_data(as_text=True)
        listed = re.findall(r'data-demo-identifier="([^"]+)" data-demo-password="demo-Password-1"', page)
        assert listed == emails, path
        assert page.count('id="demo-signins"') == 1 and "demo-hint" not in page

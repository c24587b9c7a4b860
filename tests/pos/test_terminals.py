"""Terminal registration by staff, and the signed-request scheme."""
from pathlib import Path

from app.core import clock
from app.pos import signing
from tests.support.payment_codes import charged, phone_of
from tests.support.terminals import TerminalClient, make_terminal

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_registered_terminal_reads_its_config_with_a_signed_request(api):
    terminal = make_terminal(api)

    response = terminal.get("/api/v1/pos/config")

    assert response.status_code == 200, response.json
    assert response.json["terminal_id"] == terminal.terminal_id
    assert response.json["currency"] == "USD" and response.json["no_pin_amount"] == 10000
    assert abs(response.json["server_time"] - clock.now().timestamp()) < 5


def test_each_signing_fault_is_refused_with_its_own_code(api):
    terminal = make_terminal(api)
    wrong_key = TerminalClient(api.client, terminal.terminal_id, "tsk_not-the-secret")
    unknown = TerminalClient(api.client, "ter_unknown", terminal.secret)

    assert wrong_key.get("/api/v1/pos/config").json["error"]["code"] == "signature_invalid"
    assert unknown.get("/api/v1/pos/config").json["error"]["code"] == "terminal_unknown"
    late = terminal.get("/api/v1/pos/config", timestamp=int(clock.now().timestamp()) - 301)
    assert (late.status_code, late.json["error"]["code"]) == (401, "timestamp_out_of_range")
    assert terminal.get("/api/v1/pos/config", nonce="n" * 20).status_code == 200
    replay = terminal.get("/api/v1/pos/config", nonce="n" * 20)
    assert (replay.status_code, replay.json["error"]["code"]) == (401, "nonce_reused")
    short = terminal.get("/api/v1/pos/config", nonce="short")
    assert short.status_code == 401
    assert api.client.get("/api/v1/pos/config").status_code == 401


def test_a_timestamp_that_is_not_unix_seconds_is_refused_as_such_not_as_a_bad_signature(api):
    """Before the fix: `abc` signed over the right time was `signature_invalid`, `²` (a digit to
    str.isdigit, not to int) a 500, and 5,000 digits a 500 too (int's digit limit)."""
    terminal = make_terminal(api)

    for timestamp in ["abc", "-1700000000", "1700000000.5", "\u00b2", "\u0661\u0662", "9" * 5000]:
        headers = terminal.headers("GET", "/api/v1/pos/config", b"")
        headers["X-Timestamp"] = timestamp  # the signature is over the real time
        refused = api.client.get("/api/v1/pos/config", headers=headers)
        signed_as_sent = terminal.get("/api/v1/pos/config", timestamp=timestamp)

        for response in (refused, signed_as_sent):
            assert (response.status_code, response.json["error"]["code"]) == (401, "timestamp_invalid"), timestamp


def test_a_signature_covers_the_query_and_the_body(api):
    terminal = make_terminal(api)
    headers = terminal.headers("GET", "/api/v1/pos/config?a=1", b"")

    tampered = api.client.get("/api/v1/pos/config?a=2", headers=headers)

    assert tampered.status_code == 401 and tampered.json["error"]["code"] == "signature_invalid"


def test_a_percent_encoded_path_is_signed_as_sent(api):
    """The probe: GET /api/v1/pos/charges/chg%5Fabc signed over that raw path was refused, since
    the server signed the decoded path (chg_abc) while the README says "exactly as sent"."""
    terminal = make_terminal(api)
    sale = charged(terminal, phone_of(api, api.person(balance=5000)), 450)
    raw = "/api/v1/pos/charges/" + sale["id"].replace("_", "%5F") + "?wait=%30"

    # Werkzeug's test client puts the path as given (not decoded) in RAW_URI and REQUEST_URI, as gunicorn does
    response = api.client.get(raw, headers=terminal.headers("GET", raw, b""))

    assert response.status_code == 200, response.json
    assert response.json["id"] == sale["id"]


def test_a_signature_over_the_decoded_path_does_not_fit_the_encoded_request(api):
    terminal = make_terminal(api)
    decoded = terminal.headers("GET", "/api/v1/pos/charges/chg_abc", b"")

    response = api.client.get("/api/v1/pos/charges/chg%5Fabc", headers=decoded)

    assert (response.status_code, response.json["error"]["code"]) == (401, "signature_invalid")


def test_the_readmes_worked_examples_are_what_the_signing_code_computes():
    text = README.read_text()
    secret, timestamp, nonce = "tsk_example-secret-do-not-use", "1795700000", "5f2b8c1e9d7a4f60b3c2"
    body = b'{"amount":450,"currency":"USD","reference":"T12-0042"}'
    examples = {
        ("POST", "/api/v1/pos/payment-requests", body),
        ("GET", "/api/v1/pos/payment-requests/qr_abc?wait=10", b""),
        ("GET", "/api/v1/pos/charges/chg%5Fabc", b""),
    }
    for method, target, payload in examples:
        assert f"`{method} {target}`" in text, target
        assert signing.sign(secret, method, target, timestamp, nonce, payload) in text, target


def test_staff_disable_enable_and_rotate_a_terminal(api):
    owner = api.person(name="Owner")
    terminal = make_terminal(api, owner=owner)
    base = f"/api/v1/merchants/{terminal.merchant_id}/terminals/{terminal.terminal_id}"

    assert api.post(f"{base}/disable", owner).json["status"] == "disabled"
    refused = terminal.get("/api/v1/pos/config")
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "terminal_disabled")
    assert api.post(f"{base}/enable", owner).json["status"] == "active"
    rotated = api.post(f"{base}/rotate-secret", owner).json
    assert terminal.get("/api/v1/pos/config").json["error"]["code"] == "signature_invalid"
    terminal.secret = rotated["secret"]
    assert terminal.get("/api/v1/pos/config").status_code == 200
    listed = api.get(f"/api/v1/merchants/{terminal.merchant_id}/terminals", owner).json["data"]
    assert [t["id"] for t in listed] == [terminal.terminal_id] and "secret" not in listed[0]


def test_another_users_merchant_terminals_are_not_found(api):
    terminal = make_terminal(api)
    stranger = api.person(name="Stranger")

    listed = api.get(f"/api/v1/merchants/{terminal.merchant_id}/terminals", stranger)
    created = api.post(f"/api/v1/merchants/{terminal.merchant_id}/terminals", stranger,
                       json={"kind": "pos", "label": "Mine"})

    assert listed.status_code == 404 and created.status_code == 404


def test_terminal_secrets_are_encrypted_at_rest(app, api):
    from app.extensions import db
    from app.pos.terminals.models import Terminal
    terminal = make_terminal(api)
    with app.app_context():
        stored = db.session.get(Terminal, terminal.terminal_id).secret
    assert terminal.secret not in stored

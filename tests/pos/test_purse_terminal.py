"""Case 3 as firmware must do it: the README's worked example (a certificate and a token, byte
for byte) checked against both the server (app.pos.purse.certs) and the reference terminal
(terminal/purse.py), written apart on purpose; the terminal's checks and queue; and a token the
terminal accepted, uploaded from its queue and paid."""
from __future__ import annotations

from pathlib import Path

from app.core import clock
from app.pos.purse import certs
from terminal.purse import CERT_FIELDS, TOKEN_FIELDS, PurseQueue, message, refusal
from tests.support.purse import Phone, SALES
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal

# The README's figures ("Offline terminals", case 3, worked example).
ISSUER_SEED, DEVICE_SEED = bytes(range(32)), bytes(range(32, 64))
ISSUER_PUBLIC = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
DEVICE_PUBLIC = "Kay64UG8yvCyLhqU000LxzYeUm0L_hLIl5S8kyKWbdc"
CERT = {"purse_id": "prs_examplepurse0000000000000", "device_key": DEVICE_PUBLIC, "currency": "USD",
        "allowance": 5000, "max_payment": 1500, "valid_until": 1796300000, "kid": "p2026a",
        "signature": "W-y2H3zEowJEMLAdz6SEwRlss_vNNMNXGqPohXg79TgVU7gcRtYRv_BBArfK8n7fZfwXp_4wnc26dtIsRc4WAg"}
TOKEN = {"purse_id": "prs_examplepurse0000000000000", "counter": 7, "terminal_id": "ter_exampleterminal000000000",
         "nonce": "9c41e07a2b5d8f13", "amount": 450, "currency": "USD", "time": 1795700000,
         "signature": "mOd_FPgpzMrXS41rOrAK6P2FgXr3EkGNvsVVyJRMB6lt9wyg-nHf5pe0_UUIwBRdGUHz1YJ9qI3ihFIfsRxIBw"}
CERT_MESSAGE = ("WPC1\nprs_examplepurse0000000000000\nKay64UG8yvCyLhqU000LxzYeUm0L_hLIl5S8kyKWbdc\nUSD\n5000\n1500"
                "\n1796300000\np2026a")
TOKEN_MESSAGE = "WPT1\nprs_examplepurse0000000000000\n7\nter_exampleterminal000000000\n9c41e07a2b5d8f13\n450\nUSD\n1795700000"
CHECK = {"issuer_keys": {"p2026a": ISSUER_PUBLIC}, "revoked": set(), "terminal_id": TOKEN["terminal_id"],
         "nonce": TOKEN["nonce"], "currency": "USD", "now": 1795700010}


def test_the_worked_example_is_what_the_server_signs_and_the_terminal_accepts():
    assert certs.public_key(ISSUER_SEED) == ISSUER_PUBLIC and certs.public_key(DEVICE_SEED) == DEVICE_PUBLIC
    assert certs.cert_message(CERT).decode() == message("WPC1", CERT_FIELDS, CERT).decode() == CERT_MESSAGE
    assert certs.token_message(TOKEN).decode() == message("WPT1", TOKEN_FIELDS, TOKEN).decode() == TOKEN_MESSAGE
    assert certs.sign(ISSUER_SEED, CERT_MESSAGE.encode()) == CERT["signature"]
    assert certs.sign(DEVICE_SEED, TOKEN_MESSAGE.encode()) == TOKEN["signature"]
    assert refusal(CERT, TOKEN, **CHECK) is None


def test_the_readme_shows_the_worked_example_as_the_code_makes_it():
    """Regenerated from the code, byte for byte: a firmware author copies the README, not this file."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = [
        f"issuer public key  {certs.public_key(ISSUER_SEED)}",
        f"device public key  {certs.public_key(DEVICE_SEED)}",
        "cert message       " + certs.cert_message(CERT).decode().replace("\n", "\\n"),
        f"cert signature     {certs.sign(ISSUER_SEED, certs.cert_message(CERT))}",
        "token message      " + certs.token_message(TOKEN).decode().replace("\n", "\\n"),
        f"token signature    {certs.sign(DEVICE_SEED, certs.token_message(TOKEN))}",
    ]
    assert "```\n" + "\n".join(lines) + "\n```" in text
    assert f"token counter (sequence number) {TOKEN['counter']} at `{TOKEN['terminal_id']}`" in text


def test_the_terminal_refuses_each_bad_token_with_its_reason():
    cases = [
        ({}, TOKEN | {"amount": 451}, {}, "tampered"),
        ({"allowance": 50000}, TOKEN, {}, "tampered"),
        ({"kid": "other"}, TOKEN, {}, "unknown_issuer_key"),
        ({}, TOKEN, {"revoked": {CERT["purse_id"]}}, "revoked"),
        ({}, TOKEN, {"now": CERT["valid_until"] + 1}, "expired"),
        ({}, TOKEN, {"terminal_id": "ter_other"}, "wrong_terminal"),
        ({}, TOKEN, {"nonce": "0000000000000000"}, "wrong_request"),  # a screenshot replayed at the next sale
        ({}, TOKEN, {"currency": "EUR"}, "foreign_currency"),
    ]
    for cert_change, token, check_change, reason in cases:
        assert refusal(CERT | cert_change, token, **(CHECK | check_change)) == reason, reason


def test_a_token_the_terminal_accepted_is_kept_on_disk_uploaded_and_paid(app, api, tmp_path):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 3_000, max_payment=1_000).status_code == 201
    till = make_terminal(api)
    purse_config = till.get("/api/v1/pos/config").json["offline"]["purse"]
    keys = {k["kid"]: k["public_key"] for k in purse_config["issuer_keys"]}
    queue = PurseQueue(tmp_path / "purse.jsonl")
    now = int(clock.now().timestamp())

    token = phone.token(till.terminal_id, 800, nonce="a1b2c3d4e5f60718")
    check = {"issuer_keys": keys, "revoked": set(purse_config["revoked"]), "terminal_id": till.terminal_id,
             "nonce": "a1b2c3d4e5f60718", "currency": "USD", "now": now}
    assert refusal(phone.certificate, token, **check) is None and queue.refusal(phone.certificate, token) is None
    queue.accept(phone.certificate, token)
    assert queue.refusal(phone.certificate, token) == "counter_seen"  # the same counter again, at this till
    bigger = phone.token(till.terminal_id, 1_000, nonce="a1b2c3d4e5f60718")
    assert queue.refusal(phone.certificate | {"allowance": 1_500}, bigger) == "above_allowance"
    assert refusal(phone.certificate, phone.token(till.terminal_id, 1_001, nonce="a1b2c3d4e5f60718"),
                   **check) == "above_cap"

    answer = till.post(SALES, {"records": PurseQueue(tmp_path / "purse.jsonl").records()})  # after a reboot

    assert [r["status"] for r in answer.json["results"]] == ["posted"]
    queue.remove({(token["purse_id"], token["counter"])})
    assert queue.records() == [] and queue.seen(token["purse_id"], 1)
    assert merchant_balance(app, till.merchant_id) == 800 and api.wallet(payer)["balance"] == 9_200

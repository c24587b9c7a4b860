"""Case 1: the terminal is offline, the customer's phone online. The app pays a code the
terminal made by itself; the server checks its MAC and answers with a confirmation the
terminal checks with no network."""
from __future__ import annotations

from app.core import clock
from terminal.emv import with_crc
from terminal.offline import ConfirmationCheck, MAX_ATTEMPTS, make_code
from tests.support.offline import make_offline_till, pay
from tests.support.qr import merchant_balance


def test_a_code_made_offline_is_paid_once_and_its_confirmation_checks_out_at_the_terminal(app, api):
    # given a terminal that read its settings, then lost its network, and a customer online
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    code = till.code(450, reference="T1-0001")

    # when the customer previews the code, then pays it in the app
    preview = api.post("/api/v1/qr/decode", payer, json={"payload": code.payload}).json
    assert (preview["amount"], preview["currency"], preview["payable"]) == (450, "USD", True)
    paid = pay(api, payer, code.payload)

    # then the merchant is paid, and the confirmation fits what the terminal computes by itself
    assert paid.status_code == 201, paid.json
    assert paid.json["amount"] == 450 and paid.json["qr_code_id"] is None
    offline = paid.json["offline"]
    assert offline["terminal_id"] == till.terminal.terminal_id and offline["sequence"] == code.seq
    assert len(offline["confirmation_code"]) == 10 and offline["confirmation_code"].isdigit()
    check = ConfirmationCheck(till.secret, till.terminal.terminal_id, code)
    assert check.check(offline["confirmation_code"]) == (True, None)
    scanned = ConfirmationCheck(till.secret, till.terminal.terminal_id, code)
    assert scanned.check(offline["confirmation_payload"]) == (True, paid.json["id"])
    assert api.wallet(payer)["balance"] == 4_550
    assert merchant_balance(app, till.terminal.merchant_id) == 450
    receipt = api.get(f"/api/v1/transactions/{paid.json['id']}", payer).json
    assert receipt["offline"] == {"sequence": code.seq, "sold_at": offline["sold_at"],
                                  "posted_at": paid.json["created_at"]}

    # and a second payment of the same code is refused, and moves nothing
    again = pay(api, payer, code.payload)
    assert again.status_code == 409 and again.json["error"]["code"] == "qr_already_paid"
    assert api.wallet(payer)["balance"] == 4_550
    assert api.verify_ledger() == []


def test_a_wrong_or_guessed_confirmation_is_refused_and_the_code_is_void_after_the_attempt_limit(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    code = till.code(300)
    right = pay(api, payer, code.payload).json["offline"]["confirmation_code"]
    check = ConfirmationCheck(till.secret, till.terminal.terminal_id, code)
    wrong = str((int(right) + 1) % 10 ** 10).zfill(10)

    assert check.check(wrong) == (False, None)
    other = till.code(300)  # another code's confirmation does not fit this one
    assert check.check(ConfirmationCheck(till.secret, till.terminal.terminal_id, other).expected)[0] is False
    for _ in range(MAX_ATTEMPTS - 2):
        assert check.check("0000000000")[0] is False
    assert check.void and check.check(right) == (False, None)


def test_an_altered_or_forged_code_is_refused_and_moves_nothing(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    genuine = till.code(450)
    # the amount lowered, with a fresh CRC (a CRC is no protection; the MAC is)
    cheaper = with_crc(genuine.payload.replace("54044.50", "54040.50")[:-8])
    by_stranger = make_code("tsk_not-the-terminals-secret", till.profile, seq=7, amount=450,
                            issued_at=int(clock.now().timestamp()))
    other_terminal = with_crc(genuine.payload.replace(till.terminal.terminal_id, "ter_" + "a" * 24)[:-8])

    for payload in (cheaper, by_stranger.payload, other_terminal):
        refused = pay(api, payer, payload)
        assert refused.status_code == 422 and refused.json["error"]["code"] == "qr_not_payable", refused.json
    assert api.wallet(payer)["balance"] == 5_000
    assert pay(api, payer, genuine.payload).status_code == 201  # the untouched one still pays
    assert api.wallet(payer)["balance"] == 4_550


def test_a_code_older_than_its_ttl_or_made_in_the_future_is_refused(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    now = int(clock.now().timestamp())
    old = till.code(100, issued_at=now - app.config["OFFLINE_CODE_TTL"] - 400)
    future = till.code(100, issued_at=now + 3600)

    assert pay(api, payer, old.payload).json["error"]["code"] == "qr_expired"
    assert pay(api, payer, future.payload).json["error"]["code"] == "qr_not_payable"
    assert api.wallet(payer)["balance"] == 5_000


def test_a_retry_with_the_same_key_gets_the_same_confirmation_and_pays_once(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=5_000)
    code = till.code(700)
    first = pay(api, payer, code.payload, key="k-offline-1")
    second = pay(api, payer, code.payload, key="k-offline-1")
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert api.wallet(payer)["balance"] == 4_300


def test_a_poor_wallet_is_refused_without_using_the_code_up_and_a_disabled_terminals_code_is_refused(app, api):
    till = make_offline_till(api)
    poor = api.person(name="Poor", balance=100)
    code = till.code(450)
    refused = pay(api, poor, code.payload)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "insufficient_funds"
    rich = api.person(name="Rich", balance=1_000)
    assert pay(api, rich, code.payload).status_code == 201  # the refused attempt did not use it up

    owner = till.owner
    disabled = api.post(f"/api/v1/merchants/{till.terminal.merchant_id}/terminals/{till.terminal.terminal_id}/disable",
                        owner)
    assert disabled.status_code == 200
    refused = pay(api, rich, till.code(100).payload)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "qr_not_payable"

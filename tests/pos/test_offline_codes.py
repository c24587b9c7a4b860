"""The offline code and confirmation as firmware must compute them: the README's worked example,
checked against both the server (app.pos.offline.codes) and the reference terminal (terminal/),
which are written apart on purpose; and the reference terminal's queue and limits. No app."""
from __future__ import annotations

import json

from app.pos.offline import codes
from app.qr import emv
from terminal.device import OfflineTerminal, SaleRefused
from terminal.limits import Limits
from terminal.offline import ConfirmationCheck, Profile, derive_key, expected_confirmation, make_code
from terminal.queue import Counter, SaleQueue

SECRET = "tsk_example-secret-do-not-use"
PROFILE = Profile(terminal_id="ter_exampleterminal000000000", merchant_id="mer_examplemerchant000000000",
                  guid="app.wallet.pay", merchant_name="Cafe Zurich", merchant_city="Zurich", country="CH",
                  mcc="5814", currency="USD", currency_numeric="840", exponent=2, label="Till 1")
# The README's figures ("Offline terminals", worked example).
CODE_KEY = "68523c0deedd957ce62e435e222fc0140c2057f19d5fe3b6a27abaac8a926be4"
CONFIRMATION_KEY = "31ff0beccd528700f7a8cb9eb3dec9baef48304e716c8e2330e87404b4c84367"
PAYLOAD = ("00020101021226820014app.wallet.pay0128mer_examplemerchant0000000000328ter_exampleterminal000000000"
           "52045814530384054044.505802CH5911Cafe Zurich6006Zurich62220508T12-00420706Till 1"
           "80780014app.wallet.pay01024202165f2b8c1e9d7a4f60031017957000000416c66f3674c2d1ab3263041E26")
MAC = "c66f3674c2d1ab32"
CONFIRMATION = "6742850376"


def _example():
    return make_code(SECRET, PROFILE, seq=42, amount=450, issued_at=1795700000, reference="T12-0042",
                     nonce="5f2b8c1e9d7a4f60")


def test_the_worked_example_is_what_the_terminal_makes_and_the_server_reads_and_confirms():
    code = _example()
    assert code.payload == PAYLOAD

    read = codes.parse(emv.decode(PAYLOAD), "app.wallet.pay")
    assert (read.terminal_id, read.merchant_id, read.seq, read.nonce, read.issued_at, read.amount, read.currency,
            read.reference, read.mac) == (PROFILE.terminal_id, PROFILE.merchant_id, 42, "5f2b8c1e9d7a4f60",
                                          1795700000, 450, "USD", "T12-0042", MAC)
    assert codes.code_is_genuine(SECRET, read)
    assert codes.derive_key(SECRET, "code").hex() == derive_key(SECRET, "code").hex() == CODE_KEY
    assert codes.derive_key(SECRET, "confirmation").hex() == derive_key(SECRET, "confirmation").hex() == CONFIRMATION_KEY
    assert codes.confirmation(SECRET, read) == expected_confirmation(SECRET, PROFILE.terminal_id, code) == CONFIRMATION
    assert codes.confirmation_payload(read, CONFIRMATION, "txn_x") == f"WCF1:{PROFILE.terminal_id}:42:{CONFIRMATION}:txn_x"


def test_any_change_to_what_the_mac_covers_makes_the_code_not_genuine():
    read = codes.parse(emv.decode(PAYLOAD), "app.wallet.pay")
    for change in ({"amount": 45}, {"seq": 43}, {"nonce": "5f2b8c1e9d7a4f61"}, {"currency": "EUR"},
                   {"issued_at": 1795700001}, {"reference": "T12-0043"}, {"terminal_id": "ter_other"}):
        altered = codes.OfflineCode(**{**read.__dict__, **change})
        assert not codes.code_is_genuine(SECRET, altered), change
        assert not codes.code_is_genuine("tsk_another-secret", read)


def test_a_stored_code_or_another_schemes_code_is_not_an_offline_code():
    assert not codes.is_offline({"00": "app.wallet.pay", "01": "mer_x", "02": "qr_x"})
    assert codes.is_offline({"00": "app.wallet.pay", "01": "mer_x", "03": "ter_x"})
    fields = emv.decode(PAYLOAD).to_tree()
    fields["80"]["01"] = "4x"  # a sequence number that is not a number
    try:
        codes.parse(emv.decode(emv.encode(fields)), "app.wallet.pay")
    except codes.NotOffline:
        pass
    else:
        raise AssertionError("a code with a non-numeric sequence number was read")


def test_the_counter_and_the_queue_survive_a_restart_and_a_torn_last_line(tmp_path):
    counter = Counter(tmp_path / "seq")
    assert [counter.take(), counter.take()] == [1, 2]
    assert Counter(tmp_path / "seq").take() == 3  # a new process (a reboot) goes on from disk

    queue = SaleQueue(tmp_path / "sales.jsonl")
    queue.append({"seq": 1, "amount": 100})
    queue.append({"seq": 2, "amount": 200})
    with open(tmp_path / "sales.jsonl", "a") as out:
        out.write('{"seq": 3, "amo')  # the power went mid-write: never fsync'd, never confirmed
    assert [r["seq"] for r in SaleQueue(tmp_path / "sales.jsonl").records()] == [1, 2]
    queue.remove({1})
    assert [r["seq"] for r in queue.records()] == [2]


def test_the_terminal_refuses_a_sale_over_any_limit():
    limits = Limits(max_sale=500, max_total=800, max_count=2, max_hours=1)
    sold = [{"amount": 400}]
    assert limits.refusal(300, sold=sold, offline_since=0, now=10) is None
    assert limits.refusal(501, sold=[], offline_since=0, now=10) == "max_sale"
    assert limits.refusal(401, sold=sold, offline_since=0, now=10) == "max_total"
    assert limits.refusal(10, sold=sold * 2, offline_since=0, now=10) == "max_count"
    assert limits.refusal(10, sold=[], offline_since=0, now=3601) == "max_hours"


def test_the_device_keeps_selling_within_its_limits_and_queues_each_confirmed_sale(tmp_path):
    config = {"terminal_id": PROFILE.terminal_id, "merchant_id": PROFILE.merchant_id, "label": "Till 1",
              "offline": {**{k: getattr(PROFILE, k) for k in ("guid", "merchant_name", "merchant_city", "country",
                                                              "mcc", "currency", "currency_numeric", "exponent")},
                          "limits": {"max_sale": 500, "max_total": 1000, "max_count": 5, "max_hours": 24}}}
    (tmp_path / "state.json").write_text(json.dumps({"config": config}))
    now = [1795700000]
    device = OfflineTerminal(tmp_path, client=None, secret=SECRET, clock=lambda: now[0])
    device.go_offline()

    code, check = device.start_sale(450)
    assert not device.confirm(check, "0000000000")
    assert device.confirm(check, expected_confirmation(SECRET, PROFILE.terminal_id, code))
    try:
        device.start_sale(600)
    except SaleRefused as refused:
        assert str(refused) == "max_sale"
    else:
        raise AssertionError("a sale above max_sale was made")
    assert [(r["seq"], r["amount"]) for r in device.queue.records()] == [(1, 450)]
    assert isinstance(check, ConfirmationCheck) and code.seq == 1

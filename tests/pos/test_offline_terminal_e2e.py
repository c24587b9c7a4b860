"""End to end over real HTTP: the reference terminal (terminal/) reads its settings from a live
server, loses its network, sells through customers' online phones, is rebooted, comes back and
uploads; the server's reconciliation agrees with what happened."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from terminal.client import Client
from terminal.device import OfflineTerminal
from terminal.queue import SaleQueue
from tests.support.offline import pay
from tests.support.terminals import make_terminal


@pytest.fixture
def live_url(app):
    """The app on a real socket (Werkzeug's threaded server, which passes the raw request target
    that signatures cover), for clients that speak HTTP themselves."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_the_reference_terminal_sells_offline_survives_a_reboot_and_reconciles_on_upload(app, api, live_url, tmp_path):
    # given a vending machine that read its settings from the server while online
    till = make_terminal(api, kind="vending", label="Car park 3")
    machine = OfflineTerminal(tmp_path, Client(live_url, till.terminal_id, till.secret), till.secret)
    assert machine.sync()["offline"]["limits"]["max_sale"] == app.config["OFFLINE_MAX_SALE"]
    payer = api.person(name="Customer", balance=10_000)

    # when its modem drops and customers pay its codes with their (online) phones
    machine.go_offline()
    sold = []
    for amount, typed in ((150, True), (250, False)):
        code, check = machine.start_sale(amount)
        paid = pay(api, payer, code.payload).json["offline"]
        entered = paid["confirmation_code"] if typed else paid["confirmation_payload"]
        assert machine.confirm(check, entered)
        sold.append(code.seq)
    lost, lost_check = machine.start_sale(400)  # paid, but the customer walked off before confirming
    pay(api, payer, lost.payload)
    assert not machine.confirm(lost_check, "1234567890")

    # and it reboots, then comes back online and uploads, twice (the first answer was lost)
    rebooted = OfflineTerminal(tmp_path, Client(live_url, till.terminal_id, till.secret), till.secret)
    records = rebooted.queue.records()
    # someone with the machine's disk adds a sale it never confirmed
    rebooted.queue.append({**records[0], "seq": lost.seq, "nonce": lost.nonce, "amount": 400,
                           "confirmation": "1234567890"})
    answer = rebooted.reconnect()
    resent = Client(live_url, till.terminal_id, till.secret).upload(records)

    # then every confirmed sale posted once, and the lost one is reported as paid but unreported
    assert [(r["seq"], r["status"], r["reason"]) for r in answer["results"]] == [
        (sold[0], "posted", None), (sold[1], "posted", None), (lost.seq, "refused", "mismatch")]
    assert [r["seq"] for r in rebooted.queue.records()] == [] and \
        [r["seq"] for r in SaleQueue(tmp_path / "rejected.jsonl").records()] == [lost.seq]
    assert [r["status"] for r in resent["results"]] == ["duplicate", "duplicate"]
    assert [u["seq"] for u in answer["unreported"]] == [lost.seq]
    assert rebooted.counter.take() == lost.seq + 1  # no sequence number is ever reused
    assert api.wallet(payer)["balance"] == 10_000 - 150 - 250 - 400

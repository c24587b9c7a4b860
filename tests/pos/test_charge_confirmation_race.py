"""A customer's approval of a large charge racing a second approval and the till's reversal
(PostgreSQL, each request from its own client and thread): charge_confirm locks the charge row
first, so exactly one of them decides, and the money moves at most once.

It failed with the charge's FOR UPDATE removed from charge_confirm.sql: an approval that queued behind
the reversal then paid the reversed charge (status 'succeeded', the money gone)."""
import threading
import uuid

from tests.support.payment_codes import PIN, balance, charged, phone_of, set_pin
from tests.support.races import ROUNDS
from tests.support.terminals import TerminalClient, make_terminal

LARGE = 15_000  # above NO_PIN_AMOUNT: the charge waits for the customer


def _at_once(app, alice, terminal, charge_id: str) -> list:
    calls = [("confirm", str(uuid.uuid4())), ("confirm", str(uuid.uuid4())), ("reverse", str(uuid.uuid4()))]
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index: int, what: str, key: str) -> None:
        if what == "confirm":
            client = app.test_client()
            barrier.wait()
            answers[index] = client.post(f"/api/v1/payments/{charge_id}/confirm", json={"pin": PIN},
                                         headers={**alice.auth, "Idempotency-Key": key})
        else:
            till = TerminalClient(app.test_client(), terminal.terminal_id, terminal.secret, terminal.merchant_id)
            barrier.wait()
            answers[index] = till.post(f"/api/v1/pos/charges/{charge_id}/reverse", None, key=key)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_two_approvals_and_a_reversal_at_once_move_the_money_at_most_once(app, api):
    # given a customer with money and a PIN, and a till
    terminal = make_terminal(api)
    alice = api.person(balance=ROUNDS * LARGE)
    set_pin(api, alice)
    phone = phone_of(api, alice)
    for _ in range(ROUNDS):
        waiting = charged(terminal, phone, LARGE)

        # when the app approves twice (two keys) while the till reverses the charge
        first, second, reversal = _at_once(app, alice, terminal, waiting["id"])

        # then at most one approval went through, the other was told the charge had moved on
        approved = [a for a in (first, second) if a.status_code == 200]
        assert len(approved) <= 1, (first.json, second.json)
        assert all(a.json["error"]["code"] == "charge_not_pending" for a in (first, second) if a.status_code != 200)
        assert reversal.status_code == 200, reversal.json
        # and the reversal, whichever came first, leaves the charge reversed: no money moved for good
        assert terminal.get(f"/api/v1/pos/charges/{waiting['id']}").json["status"] == "reversed"
    assert balance(api, alice) == ROUNDS * LARGE  # every payment that went through was reversed
    assert api.verify_ledger() == []

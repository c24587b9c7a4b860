"""Present, then confirm: a terminal shows a QR code, the customer pays it in the app, the
terminal reads the outcome; expiry, cancel, other terminals, bad input, idempotency, and the
manual capture (a hold the terminal captures or voids)."""
import pytest
from sqlalchemy import func, select

from app.core import clock
from app.extensions import db
from app.qr import emv
from app.qr.models import QrCode
from app.wallet.models import Transaction
from tests.support.qr import make_code, merchant_balance, pay
from tests.support.terminals import make_terminal

REQUESTS = "/api/v1/pos/payment-requests"
FIELDS = {"id", "status", "amount", "currency", "reference", "payload", "expires_at", "capture", "transaction_id",
          "qr_image_url"}


def present(terminal, amount=1250, *, expect=201, **extra):
    response = terminal.post(REQUESTS, json={"amount": amount, "currency": "USD", "reference": "T1-0042", **extra})
    assert response.status_code == expect, response.json
    return response.json


def status(terminal, request_id) -> str:
    response = terminal.get(f"{REQUESTS}/{request_id}")
    assert response.status_code == 200, response.json
    return response.json["status"]


def request_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(QrCode)).scalar_one()


@pytest.fixture
def terminal(api):
    return make_terminal(api, label="Till 7")


@pytest.fixture
def payer(api):
    return api.person(name="Customer", balance=5000)


def test_a_presented_request_is_paid_in_the_app_and_the_terminal_sees_it_succeed(app, api, terminal, payer):
    # given a request for 12.50 presented by the terminal
    created = present(terminal)
    assert FIELDS <= set(created)
    assert (created["status"], created["amount"], created["currency"], created["capture"]) == \
        ("pending", 1250, "USD", "automatic")
    assert created["transaction_id"] is None
    assert emv.decode(created["payload"]).additional["07"] == "Till 7"  # the terminal label, EMV 62/07
    assert api.client.get(created["qr_image_url"]).status_code == 200
    assert status(terminal, created["id"]) == "pending"

    # when the customer pays the payload in the app
    paid = pay(api, payer, created["payload"])

    # then the terminal reads "succeeded" with the payment, booked to this terminal
    assert paid.status_code == 201, paid.json
    read = terminal.get(f"{REQUESTS}/{created['id']}").json
    assert (read["status"], read["transaction_id"]) == ("succeeded", paid.json["id"])
    with app.app_context():
        assert db.session.get(Transaction, paid.json["id"]).terminal_id == terminal.terminal_id
    assert api.wallet(payer)["balance"] == 3750
    assert merchant_balance(app, terminal.merchant_id) == 1250
    assert api.verify_ledger() == []


def test_a_request_not_paid_in_time_expires_and_can_no_longer_be_paid_or_canceled(api, terminal, payer):
    # given a request that expires in 60 s
    created = present(terminal, expires_in=60)

    # when 61 s pass
    clock.advance(61)

    # then it reads expired, paying is 410 and canceling 409
    assert status(terminal, created["id"]) == "expired"
    assert pay(api, payer, created["payload"]).json["error"]["code"] == "qr_expired"
    canceled = terminal.post(f"{REQUESTS}/{created['id']}/cancel")
    assert (canceled.status_code, canceled.json["error"]["code"]) == (409, "payment_request_not_pending")
    assert api.wallet(payer)["balance"] == 5000


def test_a_canceled_request_cannot_be_paid(app, api, terminal, payer):
    # given a pending request
    created = present(terminal)

    # when the terminal cancels it
    canceled = terminal.post(f"{REQUESTS}/{created['id']}/cancel")

    # then it is canceled, and the customer's payment is refused without moving money
    assert (canceled.status_code, canceled.json["status"]) == (200, "canceled")
    assert status(terminal, created["id"]) == "canceled"
    refused = pay(api, payer, created["payload"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "qr_canceled")
    assert api.wallet(payer)["balance"] == 5000 and merchant_balance(app, terminal.merchant_id) == 0


def test_a_paid_request_cannot_be_canceled(api, terminal, payer):
    # given a request the customer paid
    created = present(terminal)
    assert pay(api, payer, created["payload"]).status_code == 201

    # when the terminal cancels it
    refused = terminal.post(f"{REQUESTS}/{created['id']}/cancel")

    # then 409 and it stays succeeded
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "payment_request_not_pending")
    assert refused.json["error"]["details"] == {"status": "succeeded"}
    assert status(terminal, created["id"]) == "succeeded"


def test_another_terminals_request_and_a_staff_issued_code_are_not_found(api, terminal):
    # given a request of this terminal, another till of the same shop, and a code issued by staff
    owner = api.person(name="Owner")
    other_till = make_terminal(api, owner=owner, label="Till 8")
    created = present(terminal)
    staff_code = make_code(api, owner, {"id": other_till.merchant_id, "currency": "USD"})

    # when the other till, and this terminal for the staff code, ask
    answers = [other_till.get(f"{REQUESTS}/{created['id']}"),
               other_till.post(f"{REQUESTS}/{created['id']}/cancel"),
               other_till.get(f"{REQUESTS}/{staff_code['id']}"),
               terminal.get(f"{REQUESTS}/qr_nothing")]

    # then every one is 404, and the request is still pending
    assert [(r.status_code, r.json["error"]["code"]) for r in answers] == [(404, "not_found")] * 4
    assert status(terminal, created["id"]) == "pending"


@pytest.mark.parametrize("change", [{"amount": 12.5}, {"amount": 12.0}, {"amount": "1250"}, {"amount": 0},
                                    {"currency": "ABC"}, {"reference": ""}, {"capture": "later"},
                                    {"expires_in": 1}, {"tip": 5}])
def test_bad_input_is_422_and_presents_nothing(app, terminal, change):
    body = {"amount": 1250, "currency": "USD", "reference": "T1-0042", **change}

    response = terminal.post(REQUESTS, json=body)

    assert (response.status_code, response.json["error"]["code"]) == (422, "validation_error")
    assert request_count(app) == 0


def test_a_currency_the_merchant_does_not_accept_is_422(app, terminal):
    response = terminal.post(REQUESTS, json={"amount": 1250, "currency": "EUR", "reference": "T1-0042"})

    assert (response.status_code, response.json["error"]["code"]) == (422, "currency_not_supported")
    assert request_count(app) == 0


def test_creating_twice_with_one_idempotency_key_returns_the_same_request(app, terminal):
    body = {"amount": 1250, "currency": "USD", "reference": "T1-0042"}

    first = terminal.post(REQUESTS, json=body, key="present-42")
    again = terminal.post(REQUESTS, json=body, key="present-42")
    other_body = terminal.post(REQUESTS, json={**body, "amount": 999}, key="present-42")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert (other_body.status_code, other_body.json["error"]["code"]) == (409, "idempotency_conflict")
    assert request_count(app) == 1


# --- manual capture ----------------------------------------------------------------------------

def test_a_manual_capture_request_holds_the_money_until_the_terminal_captures_part_of_it(app, api, terminal,
                                                                                         payer):
    # given a manual-capture request for 5.00 that the customer paid
    created = present(terminal, 500, capture="manual")
    paid = pay(api, payer, created["payload"])
    assert (paid.status_code, paid.json["status"]) == (201, "authorized")

    # then the request is authorized and the money only held
    read = terminal.get(f"{REQUESTS}/{created['id']}").json
    assert (read["status"], read["transaction_id"]) == ("authorized", paid.json["id"])
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["available"]) == (5000, 4500)
    assert merchant_balance(app, terminal.merchant_id) == 0

    # when the terminal captures 3.00 of it (after asking for more than was held)
    too_much = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={"amount": 501})
    assert (too_much.status_code, too_much.json["error"]["code"]) == (422, "amount_exceeds_hold")
    captured = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={"amount": 300})

    # then 3.00 moved to the merchant, the rest was released, and the hold is this terminal's
    assert (captured.status_code, captured.json["status"]) == (200, "captured"), captured.json
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["available"]) == (4700, 4700)
    assert merchant_balance(app, terminal.merchant_id) == 300
    with app.app_context():
        assert db.session.get(Transaction, paid.json["id"]).terminal_id == terminal.terminal_id
    again = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={})
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_captured")
    assert api.verify_ledger() == []


def test_voiding_a_manual_capture_request_releases_the_whole_hold(app, api, terminal, payer):
    # given a paid manual-capture request for 5.00
    created = present(terminal, 500, capture="manual")
    assert pay(api, payer, created["payload"]).status_code == 201

    # when the terminal voids it
    voided = terminal.post(f"{REQUESTS}/{created['id']}/void")

    # then nothing is held or moved, and capturing afterwards is refused
    assert (voided.status_code, voided.json["status"]) == (200, "voided"), voided.json
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["available"]) == (5000, 5000)
    assert merchant_balance(app, terminal.merchant_id) == 0
    late = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={})
    assert (late.status_code, late.json["error"]["code"]) == (409, "authorization_voided")
    assert status(terminal, created["id"]) == "voided"
    assert api.verify_ledger() == []


def test_capture_is_refused_when_the_request_holds_nothing(api, terminal, payer):
    # given an unpaid manual request and a paid automatic one
    unpaid = present(terminal, 500, capture="manual")
    automatic = present(terminal, 500)
    assert pay(api, payer, automatic["payload"]).status_code == 201

    # when the terminal captures or voids them
    answers = [terminal.post(f"{REQUESTS}/{unpaid['id']}/capture", json={}),
               terminal.post(f"{REQUESTS}/{automatic['id']}/capture", json={}),
               terminal.post(f"{REQUESTS}/{automatic['id']}/void")]

    # then each is 409 and the money stays where it was
    assert [(r.status_code, r.json["error"]["code"]) for r in answers] == \
        [(409, "payment_request_not_pending")] * 3
    assert api.wallet(payer)["balance"] == 4500


def test_a_capture_retried_with_its_idempotency_key_gets_the_first_answer(app, api, terminal, payer):
    # given a paid manual-capture request for 5.00
    created = present(terminal, 500, capture="manual")
    assert pay(api, payer, created["payload"]).status_code == 201

    # when the terminal captures 3.00, loses the answer and retries with the same key
    first = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={"amount": 300}, key="cap-1")
    again = terminal.post(f"{REQUESTS}/{created['id']}/capture", json={"amount": 300}, key="cap-1")

    # then the retry gets the first answer (not already_captured) and 3.00 moved once
    assert first.status_code == again.status_code == 200, (first.json, again.json)
    assert first.json == again.json and first.json["status"] == "captured"
    assert merchant_balance(app, terminal.merchant_id) == 300
    assert api.verify_ledger() == []

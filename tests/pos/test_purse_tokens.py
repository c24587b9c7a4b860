"""Case 3 at upload: every valid token is paid to its merchant, once; an overspend is still
paid, the excess debited from the wallet (into a recorded debt if need be) and the purse frozen;
every refusal has its reason and changes nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.merchant.webhooks.models import WebhookEvent
from tests.support.operators import make_operator
from tests.support.purse import Phone, purses_path, upload, upload_together
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal


def _setup(api, balance=10_000, allowance=2_000, **body):
    payer = api.person(name="Customer", balance=balance)
    phone = Phone(payer)
    assert phone.take_purse(api, allowance, **body).status_code == 201
    return payer, phone


def _purse(api, payer, phone) -> dict:
    return api.get(f"{purses_path(payer)}/{phone.certificate['purse_id']}", payer).json


def test_a_token_is_paid_from_the_hold_once_and_a_resent_one_is_a_duplicate(app, api):
    payer, phone = _setup(api)
    till = make_terminal(api)
    record = phone.record(phone.token(till.terminal_id, 700))

    first = upload(till, record)
    again = upload(till, record)

    assert first[0]["status"] == "posted" and first[0]["overspend"] is False
    assert again[0]["status"] == "duplicate" and again[0]["payment_id"] == first[0]["payment_id"]
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["held"], wallet["available"]) == (9_300, 1_300, 8_000)
    assert merchant_balance(app, till.merchant_id) == 700
    assert _purse(api, payer, phone)["spent"] == 700
    with app.app_context():
        events = [json.loads(e.data) for e in db.session.execute(select(WebhookEvent).filter_by(
            merchant_id=till.merchant_id, type="payment.succeeded")).scalars()]
    assert [(e["id"], e["offline"], e["amount"], e["counter"]) for e in events] == [
        (first[0]["payment_id"], True, 700, 1)]  # once, though uploaded twice
    assert api.verify_ledger() == []


def test_the_same_token_uploaded_at_once_twice_is_captured_once(app, api):
    payer, phone = _setup(api)
    till = make_terminal(api)
    records = [phone.record(phone.token(till.terminal_id, amount)) for amount in (300, 400)]

    answers = upload_together(app, [(till, records), (till, list(reversed(records))), (till, records)])

    statuses = sorted(r["status"] for answer in answers for r in answer)
    assert statuses == ["duplicate"] * 4 + ["posted"] * 2
    assert merchant_balance(app, till.merchant_id) == 700
    assert api.wallet(payer)["balance"] == 9_300
    assert api.verify_ledger() == []


def test_an_overspend_across_two_terminals_pays_both_merchants_and_freezes_the_purse(app, api):
    payer, phone = _setup(api, balance=10_000, allowance=1_000)
    till_a, till_b = make_terminal(api), make_terminal(api)
    # an extracted key: the phone signs the whole allowance at each of two offline terminals
    at_a = phone.record(phone.token(till_a.terminal_id, 1_000, counter=1))
    at_b = phone.record(phone.token(till_b.terminal_id, 1_000, counter=1))

    answers = upload_together(app, [(till_a, [at_a]), (till_b, [at_b])])

    assert [a[0]["status"] for a in answers] == ["posted", "posted"]
    assert sorted(a[0]["overspend"] for a in answers) == [False, True]
    assert merchant_balance(app, till_a.merchant_id) == merchant_balance(app, till_b.merchant_id) == 1_000
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["held"]) == (8_000, 0)  # the excess came from the wallet
    purse = _purse(api, payer, phone)
    assert (purse["status"], purse["frozen_reason"], purse["spent"], purse["debt"]) == ("frozen", "counter_reused", 2_000, 0)
    assert Phone(payer).take_purse(api, 100).json["error"]["code"] == "offline_frozen"
    assert phone.certificate["purse_id"] in till_a.get("/api/v1/pos/config").json["offline"]["purse"]["revoked"]
    report = api.get("/api/v1/admin/offline-purses/overspent", make_operator(app, api, "support")).json["data"]
    mine = [(r["tokens"], r["overspent_tokens"]) for r in report if r["purse"]["id"] == phone.certificate["purse_id"]]
    assert mine == [(2, 1)]
    assert api.verify_ledger() == []


def test_an_overspend_beyond_the_wallet_becomes_a_recorded_debt(app, api):
    payer, phone = _setup(api, balance=1_000, allowance=1_000)
    till_a, till_b = make_terminal(api), make_terminal(api)

    upload(till_a, phone.record(phone.token(till_a.terminal_id, 900)))
    [late] = upload(till_b, phone.record(phone.token(till_b.terminal_id, 800)))

    assert late["status"] == "posted" and late["overspend"] is True
    assert merchant_balance(app, till_b.merchant_id) == 800  # paid in full, always
    wallet = api.wallet(payer)
    assert (wallet["balance"], wallet["held"]) == (0, 0)  # never below zero: the rest is a debt
    purse = _purse(api, payer, phone)
    assert (purse["frozen_reason"], purse["spent"], purse["debt"]) == ("above_allowance", 1_700, 700)
    assert api.verify_ledger() == []


def _refused(api, app, payer, till, record) -> str:
    before = (api.wallet(payer), merchant_balance(app, till.merchant_id))
    [answer] = upload(till, record)
    assert answer["status"] == "refused"
    assert (api.wallet(payer), merchant_balance(app, till.merchant_id)) == before  # nothing changed
    return answer["reason"]


@pytest.mark.parametrize("change, reason", [
    ("amount", "tampered"), ("certificate", "tampered"), ("kid", "unknown_issuer_key"), ("cap", "above_cap"),
    ("currency", "foreign_currency"), ("expired", "expired"), ("terminal", "wrong_terminal"),
])
def test_each_bad_token_is_refused_with_its_reason_and_changes_nothing(app, api, change, reason):
    payer, phone = _setup(api, max_payment=500)
    till, other = make_terminal(api), make_terminal(api)
    token = phone.token(till.terminal_id, 400)
    record = phone.record(token)
    if change == "amount":
        record["token"] = token | {"amount": 300}
    elif change == "certificate":
        record = phone.record(token, allowance=5_000)
    elif change == "kid":
        record = phone.record(token, kid="nokey")
    elif change == "cap":
        record = phone.record(phone.token(till.terminal_id, 501))
    elif change == "currency":
        record = phone.record(phone.token(till.terminal_id, 400, currency="EUR"))
    elif change == "expired":
        record = phone.record(phone.token(till.terminal_id, 400, time=phone.certificate["valid_until"] + 1))
    elif change == "terminal":
        record = phone.record(phone.token(other.terminal_id, 400))
    assert _refused(api, app, payer, till, record) == reason


def test_a_token_signed_after_the_close_is_revoked_and_one_signed_before_is_paid(app, api):
    payer, phone = _setup(api)
    till = make_terminal(api)
    before = phone.token(till.terminal_id, 300, time=int(clock.now().timestamp()) - 60)
    assert api.post(f"{purses_path(payer)}/{phone.certificate['purse_id']}/close", payer).status_code == 200
    after = phone.token(till.terminal_id, 300, time=int(clock.now().timestamp()) + 1)

    assert _refused(api, app, payer, till, phone.record(after)) == "revoked"
    assert upload(till, phone.record(before))[0]["status"] == "posted"
    assert merchant_balance(app, till.merchant_id) == 300


def test_a_malformed_record_in_a_good_batch_does_not_stop_the_good_ones(app, api):
    payer, phone = _setup(api)
    till = make_terminal(api)
    good = phone.record(phone.token(till.terminal_id, 250))

    answers = upload(till, {"kind": "purse", "token": {"counter": "x"}}, good)

    assert [(a["status"], a["reason"]) for a in answers] == [("refused", "malformed"), ("posted", None)]
    assert merchant_balance(app, till.merchant_id) == 250

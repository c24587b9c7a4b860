"""Case 3: the purse escrow is spread over accounts chosen by purse id, so captures for different
purses do not wait on each other (shown with lock_timeout: a capture that had to wait for another
open transaction's lock fails at once instead of waiting), while two captures of one purse still
queue on its row. The ledger stays exact: verify passes and every currency sums to zero."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.pos.purse import services, uploads
from app.pos.purse.schemas import PurseRecord
from app.pos.terminals.models import Terminal
from app.wallet.models import Account, WalletDebt
from tests.support.purse import Phone, upload_together
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal


def _purses_in_two_buckets(api) -> list[Phone]:
    """Two payers' purses whose escrow accounts differ (1 in 8 share one: take another then)."""
    phones = []
    for name in ("Ann", "Ben"):
        payer = api.person(name=name, balance=50_000)
        for _ in range(10):
            phone = Phone(payer)
            assert phone.take_purse(api, 1_000).status_code == 201
            code = services.escrow_code(phone.certificate["purse_id"])
            if not phones or code != services.escrow_code(phones[0].certificate["purse_id"]):
                phones.append(phone)
                break
    assert len(phones) == 2
    return phones


def _params(app, till, record: dict) -> dict:
    with app.app_context():
        terminal = db.session.get(Terminal, till.terminal_id)
        params = uploads.capture_params(terminal, PurseRecord.model_validate(record).token, "USD")
        db.session.commit()  # the receivable account, created on first use
        return params


def _capture_while_another_is_open(app, first: dict, second: dict) -> str:
    """Start `first` and keep its transaction open; run `second` with lock_timeout; then commit both."""
    with app.app_context():
        with db.engine.connect() as holder, db.engine.connect() as other:
            holder.execute(uploads.CAPTURE, first).one()
            other.execute(text("SET LOCAL lock_timeout = '1s'"))
            try:
                outcome = other.execute(uploads.CAPTURE, second).one().outcome
                other.commit()
            finally:
                holder.commit()
            return outcome


def _zero_sum(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.sum(Account.credits_posted - Account.debits_posted))
                                  .where(Account.currency == "USD")).scalar_one()


def test_captures_for_different_purses_do_not_wait_on_each_other(app, api):
    ann, ben = _purses_in_two_buckets(api)
    till_a, till_b = make_terminal(api), make_terminal(api)
    first = _params(app, till_a, ann.record(ann.token(till_a.terminal_id, 400)))
    second = _params(app, till_b, ben.record(ben.token(till_b.terminal_id, 300)))

    assert _capture_while_another_is_open(app, first, second) == "posted"  # no lock_timeout: it did not wait

    assert (merchant_balance(app, till_a.merchant_id), merchant_balance(app, till_b.merchant_id)) == (400, 300)
    assert _zero_sum(app) == 0 and api.verify_ledger() == []


def test_two_captures_of_one_purse_still_queue_on_its_row(app, api):
    ann, _ = _purses_in_two_buckets(api)
    till_a, till_b = make_terminal(api), make_terminal(api)
    first = _params(app, till_a, ann.record(ann.token(till_a.terminal_id, 400)))
    second = _params(app, till_b, ann.record(ann.token(till_b.terminal_id, 300)))

    with pytest.raises(OperationalError, match="lock timeout"):
        _capture_while_another_is_open(app, first, second)  # the check above can fail: here it does

    assert merchant_balance(app, till_a.merchant_id) == 400 and api.verify_ledger() == []


def test_new_purses_spread_over_the_escrow_accounts(app, api):
    payer = api.person(name="Customer", balance=50_000)
    codes = set()
    for _ in range(12):
        phone = Phone(payer)
        assert phone.take_purse(api, 100).status_code == 201
        codes.add(services.escrow_code(phone.certificate["purse_id"]))
    with app.app_context():
        held = db.session.execute(select(Account.code, Account.credits_pending).where(
            Account.code.like("offline_purse.%"))).all()
    assert {code for code, _ in held} == codes and len(codes) > 1
    assert sum(pending for _, pending in held) == 1_200


def test_double_spends_uploaded_at_once_at_two_tills_of_one_shop_are_all_paid_once(app, api):
    """Excess captures lock the shop's account before its credit buckets (purse.sql): uploads that
    take them in opposite orders, twice over, still pay every token once and record every debt."""
    owner = api.person(name="Shop Owner")
    till_a = make_terminal(api, owner=owner)
    merchant = {"id": till_a.merchant_id}
    till_b = make_terminal(api, owner=owner, merchant=merchant, label="Till 2")
    phones = []
    for n in range(4):
        phone = Phone(api.person(name=f"Payer {n}", balance=500))
        assert phone.take_purse(api, 500).status_code == 201  # all the wallet has
        phones.append(phone)
    at_a = [p.record(p.token(till_a.terminal_id, 500, counter=1)) for p in phones]
    at_b = [p.record(p.token(till_b.terminal_id, 500, counter=1)) for p in phones]

    answers = upload_together(app, [(till_a, at_a), (till_b, list(reversed(at_b))),
                                    (till_a, list(reversed(at_a))), (till_b, at_b)])

    statuses = sorted(r["status"] for answer in answers for r in answer)
    assert statuses == ["duplicate"] * 8 + ["posted"] * 8
    assert sum(r["overspend"] for answer in answers for r in answer if r["status"] == "posted") == 4  # one a payer
    assert merchant_balance(app, till_a.merchant_id) == 8 * 500
    with app.app_context():
        owed = db.session.execute(select(func.sum(WalletDebt.owed))).scalar_one()
        receivable = db.session.execute(select(Account.credits_posted - Account.debits_posted)
                                        .where(Account.code == "offline_receivable")).scalar_one()
    assert owed == 4 * 500 and receivable == -4 * 500
    assert _zero_sum(app) == 0 and api.verify_ledger() == []

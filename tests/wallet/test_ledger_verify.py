"""`flask ledger verify` recomputes chains and balances and catches tampering."""
import threading

from sqlalchemy import event, select, text

from app.extensions import db
from app.wallet.models import Account, Transfer
from app.wallet.verify import verify_ledger
from tests.support.env import postgres_only


def _run_verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def test_verify_passes_on_an_untouched_ledger(app, api):
    alice = api.person(balance=5000)
    bob = api.person()
    api.transfer(alice, bob.phone, 700)

    result = _run_verify(app)

    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_verify_fails_when_a_transfer_amount_is_edited(app, api):
    alice = api.person(balance=5000)
    bob = api.person()
    txn_id = api.transfer(alice, bob.phone, 700).json["id"]
    with app.app_context():
        db.session.execute(text("UPDATE transfers SET amount = 70 WHERE transaction_id = :t"), {"t": txn_id})
        db.session.commit()

    result = _run_verify(app)

    assert result.exit_code == 1
    assert "hash mismatch" in result.output


def test_verify_fails_when_a_balance_is_edited_behind_the_ledgers_back(app, api):
    alice = api.person(balance=5000)
    with app.app_context():
        db.session.execute(text("UPDATE accounts SET credits_posted = credits_posted + 100000 WHERE id = :a"),
                           {"a": alice.wallet_id})
        db.session.commit()

    result = _run_verify(app)

    assert result.exit_code == 1
    assert "stored totals" in result.output


def test_verify_fails_when_the_newest_transfer_is_deleted(app, api):
    alice = api.person(balance=5000)
    bob = api.person()
    txn_id = api.transfer(alice, bob.phone, 700).json["id"]
    with app.app_context():
        transfer_id = db.session.execute(select(Transfer.id).filter_by(transaction_id=txn_id)).scalar_one()
        db.session.execute(text("DELETE FROM entries WHERE transfer_id = :t"), {"t": transfer_id})
        db.session.execute(text("DELETE FROM transfers WHERE id = :t"), {"t": transfer_id})
        db.session.commit()

    result = _run_verify(app)

    assert result.exit_code == 1
    assert "entry count or last hash" in result.output


def test_the_database_refuses_an_overdraft_even_without_the_code(app, api):
    alice = api.person(balance=500)
    with app.app_context():
        try:
            db.session.execute(text("UPDATE accounts SET debits_posted = debits_posted + 501 WHERE id = :a"),
                               {"a": alice.wallet_id})
            db.session.commit()
            refused = False
        except Exception as exc:  # IntegrityError from the CHECK constraint
            db.session.rollback()
            refused = "no_overdraft" in str(exc)
        balance = db.session.get(Account, alice.wallet_id).balance
    assert refused
    assert balance == 500


@postgres_only
def test_verify_reads_one_moment_while_payments_go_on(app, api):
    # given some history, and a payment that commits while verify is between its queries (just
    # before it reads the entries, after it has read the transfers)
    alice, bob = api.person(balance=5000), api.person()
    api.transfer(alice, bob.phone, 100)
    paid: list = []

    def pay_in_between(_conn, _cursor, statement, *_):
        if "FROM entries" in statement and "ORDER BY entries.account_id" in statement and not paid:
            worker = threading.Thread(target=lambda: paid.append(api.transfer(alice, bob.phone, 200).status_code))
            worker.start()
            worker.join()

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", pay_in_between)
        try:
            # when verify runs
            problems = verify_ledger()
        finally:
            event.remove(db.engine, "before_cursor_execute", pay_in_between)

    # then the payment happened meanwhile, and verify saw one consistent ledger, not a broken chain
    assert paid == [201]
    assert problems == []
    assert api.verify_ledger() == []

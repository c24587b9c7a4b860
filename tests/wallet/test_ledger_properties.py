"""Property tests of the ledger rules: any sequence of transfers, holds, posts and voids keeps
the invariants. Once on the pure rules, once through the real services and database."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import AppError
from app.extensions import db
from app.wallet import holds, ledger, rules
from app.wallet.models import Account

ACCOUNTS = 3
operation = st.one_of(
    st.tuples(st.just("transfer"), st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1), st.integers(1, 500)),
    st.tuples(st.just("hold"), st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1), st.integers(1, 500)),
    st.tuples(st.just("capture"), st.integers(0, 20), st.integers(0, 600), st.just(0)),
    st.tuples(st.just("void"), st.integers(0, 20), st.just(0), st.just(0)),
)


@given(st.lists(operation, max_size=40))
def test_pure_rules_keep_balances_valid_and_the_books_balanced(ops):
    # given no-overdraft accounts funded by one system account that may go negative
    balances = [rules.Balances(credits_posted=1000) for _ in range(ACCOUNTS)]
    system = rules.Balances(debits_posted=1000 * ACCOUNTS)
    pending: list[tuple[int, int, int] | None] = []
    for kind, a, b, amount in ops:
        if kind in ("transfer", "hold") and a != b:
            debit, credit = rules.effects("posted" if kind == "transfer" else "pending", amount)
            if balances[a].plus(debit).valid(True):
                balances[a], balances[b] = balances[a].plus(debit), balances[b].plus(credit)
                if kind == "hold":
                    pending.append((a, b, amount))
        elif kind in ("capture", "void") and a < len(pending) and pending[a] is not None:
            debit_id, credit_id, held = pending[a]
            post = min(b, held) if kind == "capture" else 0
            debit, credit = rules.effects("post_pending" if kind == "capture" else "void_pending", post, held)
            balances[debit_id], balances[credit_id] = balances[debit_id].plus(debit), balances[credit_id].plus(credit)
            pending[a] = None
        # then after every step
        assert all(b.valid(True) for b in balances)
        total = system
        for b in balances:
            total = total.plus(b)
        assert total.debits_posted == total.credits_posted
        assert total.debits_pending == total.credits_pending


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=15))
def test_services_keep_the_ledger_verifiable_for_any_sequence(app, truncate, ops):
    truncate()
    with app.test_request_context():
        wallets = _funded_accounts()
        hold_ids: list[str] = []
        for kind, a, b, amount in ops:
            try:
                if kind == "transfer" and a != b:
                    _transfer(wallets[a], wallets[b], amount)
                elif kind == "hold" and a != b:
                    hold_ids.append(holds.authorize(debit_id=wallets[a], credit_id=wallets[b], amount=amount,
                                                    currency="USD", expires_in=600).id)
                elif kind == "capture" and a < len(hold_ids):
                    holds.capture(hold_ids[a], min(b, 500) or None)
                elif kind == "void" and a < len(hold_ids):
                    holds.void(hold_ids[a])
            except AppError as refusal:
                assert refusal.code in {"insufficient_funds", "already_captured", "authorization_voided",
                                        "amount_exceeds_hold"}
        from app.wallet.verify import verify_ledger
        assert verify_ledger() == []
        for account in db.session.query(Account).filter_by(kind="user"):
            assert account.available >= 0


def _funded_accounts() -> list[str]:
    from app.core.uow import unit_of_work
    ids = []
    with unit_of_work() as uow:
        system = ledger.system_account(ledger.TOPUP_FLOAT, "USD")
        for _ in range(ACCOUNTS):
            account = ledger.open_account(kind="user", currency="USD")
            txn = ledger.new_transaction(type="topup", status="succeeded", amount=1000, currency="USD",
                                         debit_id=system.id, credit_id=account.id)
            ledger.record_transfer(txn, kind="posted", debit_id=system.id, credit_id=account.id, amount=1000)
            ids.append(account.id)
        uow.commit()
    return ids


def _transfer(debit_id: str, credit_id: str, amount: int) -> None:
    from app.core.uow import unit_of_work
    with unit_of_work() as uow:
        txn = ledger.new_transaction(type="transfer", status="succeeded", amount=amount, currency="USD",
                                     debit_id=debit_id, credit_id=credit_id)
        ledger.record_transfer(txn, kind="posted", debit_id=debit_id, credit_id=credit_id, amount=amount)
        uow.commit()

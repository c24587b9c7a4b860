"""Tier limits, checked in the posting's own transaction (app/wallet/sql/limits.sql)."""
import threading
import uuid

from app.wallet import limit_rules
from tests.support.operators import make_operator
from tests.support.tiers import limited, set_tier

THREADS = 20


def test_twenty_payments_at_once_never_pass_the_daily_limit(app, api):
    """Broke once the counter was read before the wallet's lock (a plain SELECT, then the check):
    several threads saw the same total and the day's sum went over."""
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=50_000), api.person()
    limited(api, admin, payer, daily_out=3_000)
    barrier = threading.Barrier(THREADS)
    answers: list = [None] * THREADS

    def pay(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post("/api/v1/transfers", json={"to": payee.wallet_id, "amount": 700,
                                                                "currency": "USD"},
                                     headers={**payer.auth, "Idempotency-Key": str(uuid.uuid4())})

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    passed = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 402]
    assert len(passed) + len(refused) == THREADS
    assert len(passed) == 4  # 4 x 700 = 2,800 <= 3,000 < 3,500
    assert {a.json["error"]["code"] for a in refused} == {"limit_exceeded"}
    assert api.wallet(payee)["balance"] == 2_800
    assert api.verify_ledger() == []


def test_a_payment_above_the_largest_single_payment_is_refused_with_details(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payer, max_payment=1_000)

    refused = api.transfer(payer, payee.wallet_id, 1_001, key=str(uuid.uuid4()))

    assert refused.status_code == 402
    error = refused.json["error"]
    assert error["code"] == "limit_exceeded"
    assert error["details"] == {"limit": "max_payment", "limit_amount": 1_000, "remaining": 1_000,
                                "currency": "USD", "resets_at": None}
    assert api.wallet(payer)["balance"] == 10_000  # nothing moved
    assert api.transfer(payer, payee.wallet_id, 1_000, key=str(uuid.uuid4())).status_code == 201


def test_the_daily_refusal_says_what_is_left_and_when_it_resets(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payer, daily_out=2_500)
    assert api.transfer(payer, payee.wallet_id, 2_000, key=str(uuid.uuid4())).status_code == 201

    refused = api.transfer(payer, payee.wallet_id, 600, key=str(uuid.uuid4()))

    assert refused.status_code == 402
    details = refused.json["error"]["details"]
    assert details["limit"] == "daily_out" and details["remaining"] == 500 and details["limit_amount"] == 2_500
    with app.app_context():
        from app.core import clock
        assert details["resets_at"] == clock.iso(limit_rules.resets_at("day", clock.now()))


def test_the_monthly_limit_is_checked_too(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payer, monthly_out=1_500)
    assert api.transfer(payer, payee.wallet_id, 1_000, key=str(uuid.uuid4())).status_code == 201

    refused = api.transfer(payer, payee.wallet_id, 501, key=str(uuid.uuid4()))

    assert refused.json["error"]["details"]["limit"] == "monthly_out"
    assert refused.json["error"]["details"]["remaining"] == 500


def test_top_ups_are_held_to_the_largest_top_up_and_the_largest_balance(app, api):
    admin = make_operator(app, api, "admin")
    person = api.person()
    limited(api, admin, person, max_topup=5_000, max_balance=8_000)
    path = f"/api/v1/wallets/{person.wallet_id}/topups"

    too_big = api.post(path, person, json={"amount": 5_001, "source": "tok_visa"}, key=str(uuid.uuid4()))
    first = api.post(path, person, json={"amount": 5_000, "source": "tok_visa"}, key=str(uuid.uuid4()))
    too_full = api.post(path, person, json={"amount": 3_001, "source": "tok_visa"}, key=str(uuid.uuid4()))

    assert too_big.status_code == 402 and too_big.json["error"]["details"]["limit"] == "max_topup"
    assert first.status_code == 201
    assert too_full.status_code == 402
    assert too_full.json["error"]["details"] == {"limit": "max_balance", "limit_amount": 8_000, "remaining": 3_000,
                                                 "currency": "USD", "resets_at": None}
    assert api.wallet(person)["balance"] == 5_000


def test_a_transfer_received_cannot_pass_the_recipients_largest_balance(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payee, max_balance=1_000)

    refused = api.transfer(payer, payee.wallet_id, 1_001, key=str(uuid.uuid4()))

    assert refused.status_code == 402 and refused.json["error"]["details"]["limit"] == "max_balance"
    assert api.wallet(payer)["balance"] == 10_000


def test_a_limit_change_takes_effect_at_the_next_payment(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payer, max_payment=500)
    assert api.transfer(payer, payee.wallet_id, 800, key=str(uuid.uuid4())).status_code == 402

    assert set_tier(api, admin, "tight", max_payment=1_000).status_code == 200

    assert api.transfer(payer, payee.wallet_id, 800, key=str(uuid.uuid4())).status_code == 201


def test_me_limits_shows_the_tier_and_what_is_left(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=3_000), api.person()
    limited(api, admin, payer, daily_out=5_000, monthly_out=20_000, max_balance=9_000)
    assert api.transfer(payer, payee.wallet_id, 1_200, key=str(uuid.uuid4())).status_code == 201

    shown = api.get("/api/v1/me/limits", payer)

    assert shown.status_code == 200
    assert shown.json["tier"]["name"] == "tight" and shown.json["tier"]["daily_out"] == 5_000
    wallet, = shown.json["wallets"]
    assert wallet["wallet_id"] == payer.wallet_id and wallet["balance_left"] == 9_000 - 1_800
    assert (wallet["day"]["used"], wallet["day"]["left"]) == (1_200, 3_800)
    assert (wallet["month"]["used"], wallet["month"]["left"]) == (1_200, 18_800)


def test_yesterdays_payments_do_not_count_today(app, api):
    admin = make_operator(app, api, "admin")
    payer, payee = api.person(balance=10_000), api.person()
    limited(api, admin, payer, daily_out=1_000)
    assert api.transfer(payer, payee.wallet_id, 1_000, key=str(uuid.uuid4())).status_code == 201
    assert api.transfer(payer, payee.wallet_id, 1, key=str(uuid.uuid4())).status_code == 402
    # as if those payments had been made yesterday (moving the clock would expire the sign-in)
    with app.app_context():
        from sqlalchemy import text

        from app.extensions import db
        db.session.execute(text("UPDATE accounts SET day_start = day_start - interval '1 day' "
                                "WHERE day_start IS NOT NULL"))
        db.session.commit()

    shown = api.get("/api/v1/me/limits", payer).json["wallets"][0]["day"]
    assert (shown["used"], shown["left"]) == (0, 1_000)
    assert api.transfer(payer, payee.wallet_id, 1_000, key=str(uuid.uuid4())).status_code == 201


def test_the_pure_rules_refuse_in_the_functions_order():
    from datetime import UTC, datetime
    now = datetime(2026, 12, 31, 15, tzinfo=UTC)
    tier = {"max_payment": 100, "daily_out": 150, "monthly_out": 1_000}
    assert limit_rules.debit_refusal(tier=tier, amount=101, used_day=0, used_month=0, now=now).limit == "max_payment"
    day = limit_rules.debit_refusal(tier=tier, amount=100, used_day=60, used_month=0, now=now)
    assert (day.limit, day.remaining, day.resets_at) == ("daily_out", 90, datetime(2027, 1, 1, tzinfo=UTC))
    month = limit_rules.debit_refusal(tier=tier, amount=100, used_day=0, used_month=950, now=now)
    assert (month.limit, month.remaining, month.resets_at) == ("monthly_out", 50, datetime(2027, 1, 1, tzinfo=UTC))
    assert limit_rules.debit_refusal(tier=tier, amount=50, used_day=100, used_month=0, now=now) is None


def test_a_payment_to_a_system_accounts_bucket_is_not_counted_and_to_a_merchants_is(app, api):
    """ledger_move sees the bucket it credits, not its parent: ledger_post tells it the parent is a
    system account (the fee revenue account has buckets), whose credits are not the user spending."""
    from sqlalchemy import select, text

    from app.core import clock
    from app.core.uow import unit_of_work
    from app.extensions import db
    from app.wallet import ledger
    from app.wallet.models import Account

    payer = api.person(balance=10_000)
    with app.test_request_context():
        with unit_of_work() as uow:
            revenue = db.session.execute(text("SELECT fee_revenue_account('USD', :now)"),
                                         {"now": clock.now()}).scalar_one()
            shop = ledger.open_account(kind="merchant", currency="USD", prefix="acc").id
            uow.commit()
        for credit, amount in ((revenue, 300), (shop, 200)):
            with unit_of_work() as uow:
                txn = ledger.new_transaction(type="test", status="succeeded", amount=amount, currency="USD",
                                             debit_id=payer.wallet_id, credit_id=credit)
                moved = ledger.record_transfer(txn, kind="posted", debit_id=payer.wallet_id, credit_id=credit,
                                               amount=amount)
                uow.commit()
            assert db.session.get(Account, moved.credit_account_id).kind == "bucket"
        wallet = db.session.execute(select(Account).filter_by(id=payer.wallet_id)
                                    .execution_options(populate_existing=True)).scalar_one()
        assert (wallet.day_used, wallet.month_used) == (200, 200)
    shown = api.get("/api/v1/me/limits", payer).json["wallets"][0]
    assert shown["day"]["used"] == 200 and shown["month"]["used"] == 200


def test_the_migration_moves_the_wallets_totals_and_keeps_the_merchants(app, api):
    import importlib.util
    from pathlib import Path

    from sqlalchemy import text

    from app.extensions import db

    migration = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0039_limit_counters.py"
    spec = importlib.util.spec_from_file_location("migration_0039", migration)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    payer, payee = api.person(balance=10_000), api.person()
    with app.app_context(), db.engine.begin() as conn:
        shop = conn.execute(text("SELECT id FROM accounts WHERE kind = 'system' LIMIT 1")).scalar_one()
        conn.execute(text(
            "INSERT INTO limit_usage (account_id, period, period_start, used) VALUES "
            "(:w, 'day', '2026-11-30T00:00:00Z', 700), (:w, 'month', '2026-11-01T00:00:00Z', 2500), "
            "(:s, 'day', '2026-11-30T00:00:00Z', 40)"), {"w": payer.wallet_id, "s": shop})
        for statement in module.MOVE:
            conn.execute(text(statement))
        moved = conn.execute(text(
            "SELECT id, to_char(day_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), day_used, "
            "to_char(month_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), month_used FROM accounts WHERE id IN (:a, :b)"),
            {"a": payer.wallet_id, "b": payee.wallet_id}).all()
        left = conn.execute(text("SELECT account_id, used FROM limit_usage")).all()

    assert sorted(moved) == sorted([(payer.wallet_id, "2026-11-30", 700, "2026-11-01", 2500),
                                    (payee.wallet_id, None, 0, None, 0)])
    assert left == [(shop, 40)]  # a merchant's refund total (any account not a wallet's) stays

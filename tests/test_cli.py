"""The command-line tools an operator uses."""
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db


def test_create_admin_makes_a_verified_administrator_who_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "Ops@Example.com",
                                                "--password", "an-Admin-pass-1"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == "ops@example.com")).scalar_one()
        assert admin.role == "admin" and admin.verified
    login = client.post("/api/v1/auth/login", json={"identifier": "ops@example.com", "password": "an-Admin-pass-1"})
    assert login.status_code == 200


def test_seed_demo_creates_users_with_balances_once(app, client):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0 and "alice@demo.test" in first.output
    assert "Demo Café" in first.output and "terminal ter_" in first.output
    assert "already exists" in second.output
    # a secret is shown once, so a second run rotates the demo terminals' secrets and prints the new ones
    import re
    printed = re.findall(r"(pos|vending) terminal (ter_\w+) signs with secret (\S+)", first.output)
    again = re.findall(r"(pos|vending) terminal (ter_\w+) signs with secret (\S+)", second.output)
    assert [kind for kind, _, _ in printed] == ["pos", "vending"]
    assert [t for _, t, _ in again] == [t for _, t, _ in printed] and again[0][2] != printed[0][2]
    from tests.support.terminals import TerminalClient
    for _, terminal_id, secret in again:  # the printed secrets are the ones that sign
        assert TerminalClient(client, terminal_id, secret).get("/api/v1/pos/config").status_code == 200
    assert TerminalClient(client, printed[0][1], printed[0][2]).get("/api/v1/pos/config").status_code == 401
    tokens = client.post("/api/v1/auth/login", json={"identifier": "alice@demo.test",
                                                     "password": "demo-Password-1"}).json
    wallets = client.get("/api/v1/wallets", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json
    assert wallets["data"][0]["balance"] == 50_000
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    # the console's demo operators sign in and hold their roles
    for email, roles in (("support@demo.test", ["support"]), ("finance@demo.test", ["finance"]),
                         ("finance2@demo.test", ["finance"]), ("admin@demo.test", ["admin"])):
        assert f"sign in at /admin with {email}" in first.output
        token = client.post("/api/v1/auth/login", json={"identifier": email, "password": "demo-Password-1"}).json
        me = client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json
        assert me["roles"] == roles, email


def test_expire_holds_releases_holds_past_their_expiry(app):
    from app.core import clock
    from app.core.uow import unit_of_work
    from app.wallet import holds, ledger
    with app.test_request_context():
        with unit_of_work() as uow:
            system = ledger.system_account(ledger.TOPUP_FLOAT, "USD")
            wallet = ledger.open_account(kind="user", currency="USD")
            txn = ledger.new_transaction(type="topup", status="succeeded", amount=1000, currency="USD",
                                         debit_id=system.id, credit_id=wallet.id)
            ledger.record_transfer(txn, kind="posted", debit_id=system.id, credit_id=wallet.id, amount=1000)
            merchant = ledger.open_account(kind="merchant", currency="USD", prefix="acc")
            uow.commit()
        wallet_id, merchant_id = wallet.id, merchant.id
        hold_id = holds.authorize(debit_id=wallet_id, credit_id=merchant_id, amount=400, currency="USD",
                                  expires_in=60).id
        assert db.session.get(ledger.Account, wallet_id).available == 600
    clock.advance(61)

    result = app.test_cli_runner().invoke(args=["ledger", "expire-holds"])

    assert "expired 1 hold" in result.output
    with app.app_context():
        assert db.session.get(ledger.Account, wallet_id).available == 1000
        assert db.session.get(ledger.Transaction, hold_id).status == "expired"

"""Demo and admin accounts for the CLI (development convenience, not an API)."""
from flask import current_app
from sqlalchemy import select

from app.auth import crypto
from app.auth.models import OperatorRole, User
from app.core import clock
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.wallet import ledger

DEMO_PASSWORD = "demo-Password-1"
DEMO_USERS = [("Alice Demo", "+6590000001", "alice@demo.test", 50_000),
              ("Bob Demo", "+6590000002", "bob@demo.test", 20_000),
              ("Carol Demo", "+6590000003", "carol@demo.test", 0)]
# Operators for the console at /admin: two finance operators, so one proposes and the other approves.
DEMO_OPERATORS = [("Sam Support", "support@demo.test", "support"), ("Fiona Finance", "finance@demo.test", "finance"),
                  ("Frank Finance", "finance2@demo.test", "finance"), ("Ada Admin", "admin@demo.test", "admin")]


def create_user(*, email: str, password: str, name: str, role: str = "user", phone: str | None = None) -> User:
    password_hash = crypto.hash_secret(password)
    with unit_of_work() as uow:
        user = User(id=new_id("usr"), email=email, phone=phone, name=name, password_hash=password_hash, role=role,
                    status="active", totp_enabled=False, verified_at=clock.now(), created_at=clock.now())
        db.session.add(user)
        db.session.flush()
        ledger.open_account(kind="user", currency=current_app.config["DEFAULT_CURRENCY"], user_id=user.id)
        if role == "admin":  # an administrator is an operator with the role admin (app.auth.operator_roles)
            db.session.add(OperatorRole(id=new_id("opr"), user_id=user.id, role="admin", created_at=clock.now()))
        uow.commit()
    return user


def seed_demo_data() -> list[str]:
    currency = current_app.config["DEFAULT_CURRENCY"]
    lines = []
    for name, phone, email, balance in DEMO_USERS:
        if db.session.execute(select(User.id).where(User.email == email)).first():
            lines.append(f"{email} already exists")
            continue
        user = create_user(email=email, phone=phone, password=DEMO_PASSWORD, name=name)
        if balance:
            with unit_of_work() as uow:
                wallet = db.session.execute(select(ledger.Account).filter_by(user_id=user.id)).scalar_one()
                float_account = ledger.system_account(ledger.TOPUP_FLOAT, currency)
                txn = ledger.new_transaction(type="topup", status="succeeded", amount=balance, currency=currency,
                                             debit_id=float_account.id, credit_id=wallet.id, reference="demo seed")
                ledger.record_transfer(txn, kind="posted", debit_id=float_account.id, credit_id=wallet.id,
                                       amount=balance)
                uow.commit()
        lines.append(f"{name}: sign in with {email} or {phone}, password {DEMO_PASSWORD}")
    lines.extend(_demo_shop(currency))
    lines.extend(_demo_operators())
    return lines


def _demo_operators() -> list[str]:
    lines = []
    for name, email, role in DEMO_OPERATORS:
        if db.session.execute(select(User.id).where(User.email == email)).first():
            lines.append(f"{email} already exists")
            continue
        user = create_user(email=email, password=DEMO_PASSWORD, name=name, role="admin" if role == "admin" else "user")
        if role != "admin":  # create_user made the admin an operator already
            with unit_of_work() as uow:
                db.session.add(OperatorRole(id=new_id("opr"), user_id=user.id, role=role, created_at=clock.now()))
                uow.commit()
        lines.append(f"{name}, operator ({role}): sign in at /admin with {email}, password {DEMO_PASSWORD}")
    return lines


def _demo_shop(currency: str) -> list[str]:
    """A merchant owned by Carol, with a till and a vending machine whose secrets are printed for
    the terminal simulator at /terminal. A secret is shown only when made, so a later run rotates
    the demo terminals' secrets and prints the new ones (development data: nothing else holds them)."""
    from app.merchant.models import Merchant
    from app.pos.terminals import services as terminals
    from app.pos.terminals.models import Terminal
    existing = db.session.execute(select(Merchant.id).where(Merchant.name == "Demo Café")).scalar_one_or_none()
    if existing is None:
        from app.merchant.services import create_merchant
        existing = create_merchant(name="Demo Café", city="Zürich", country="CH", mcc="5814", currency=currency,
                                   owner="carol@demo.test")["id"]
        lines = [f"Demo Café ({existing}), staff: carol@demo.test"]
    else:
        lines = ["Demo Café already exists: its demo terminals get new secrets"]
    carol = db.session.execute(select(User).where(User.email == "carol@demo.test")).scalar_one()
    for kind, label in (("pos", "Counter 1"), ("vending", "Vending 1")):
        terminal_id = db.session.execute(select(Terminal.id).where(
            Terminal.merchant_id == existing, Terminal.label == label)).scalar_one_or_none()
        terminal = (terminals.rotate_secret(carol, existing, terminal_id) if terminal_id
                    else terminals.register(carol, existing, kind=kind, label=label))
        lines.append(f"its {kind} terminal {terminal['id']} signs with secret {terminal['secret']} "
                     "(paste both into /terminal; see the README)")
    return lines

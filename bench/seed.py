"""Seed the benchmark database in-process, with the app's own services and ledger functions.

Run as a subprocess by `python -m bench` (so the app reads the per-run secrets from its
environment, exactly as the servers do):

    python -m bench.seed --users 1000 --merchants 50 --balance 5000000 --devices 2000 \
        --webhook-url http://127.0.0.1:PORT/hooks/ --out seed.json

Every balance is a real top-up through `ledger.record_transfer` (float -> wallet), so
`flask ledger verify` holds. Users sign in once: a session and a token pair per user from
`open_session`, the same code the log-in endpoint runs. Passwords are argon2 at the app's
production cost, hashed once and shared: nobody logs in with them during the benchmark.
Terminal side (bench/seed_pos.py): payment-code devices for the users, a POS terminal and a
webhook endpoint (to the bench's receiver) per merchant.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import time

BATCH = 200


def _user(db, User, new_id, now, *, index: int, password_hash: str, kind: str):
    user = User(id=new_id("usr"), email=f"{kind}{index}@bench.test", phone=None, name=f"Bench {kind} {index}",
                password_hash=password_hash, role="user", status="active", totp_enabled=False,
                verified_at=now, created_at=now)
    db.session.add(user)
    db.session.flush()
    return user


def seed(users: int, merchants: int, balance: int, devices: int = 0, webhook_url: str | None = None,
         vending: bool = False) -> dict:
    from sqlalchemy import select

    from app import create_app
    from app.auth import crypto
    from app.auth.models import User
    from app.auth.services.sessions import open_session
    from app.core import clock
    from app.core.ids import new_id
    from app.core.uow import unit_of_work
    from app.extensions import db
    from app.merchant.models import Merchant
    from app.merchant.services import create_merchant
    from app.qr.services import issue_code
    from app.wallet import ledger
    from bench import seed_pos

    app = create_app()
    out = {"users": [], "merchants": []}
    with app.app_context():
        currency = out["currency"] = app.config["DEFAULT_CURRENCY"]
        password_hash = crypto.hash_secret(secrets.token_urlsafe(16))  # production argon2 cost, once
        for start in range(0, users, BATCH):
            with unit_of_work() as uow:
                now = clock.now()
                float_account = ledger.system_account(ledger.TOPUP_FLOAT, currency)
                for i in range(start, min(users, start + BATCH)):
                    user = _user(db, User, new_id, now, index=i, password_hash=password_hash, kind="user")
                    wallet = ledger.open_account(kind="user", currency=currency, user_id=user.id)
                    txn = ledger.new_transaction(type="topup", status="succeeded", amount=balance,
                                                 currency=currency, debit_id=float_account.id, credit_id=wallet.id,
                                                 initiator_id=user.id, reference="bench seed")
                    ledger.record_transfer(txn, kind="posted", debit_id=float_account.id, credit_id=wallet.id,
                                           amount=balance)
                    pair = open_session(user, "bench", "127.0.0.1")
                    out["users"].append({"id": user.id, "wallet": wallet.id, "token": pair["access_token"]})
                uow.commit()

        owners = []
        with unit_of_work() as uow:
            for i in range(merchants):
                owner = _user(db, User, new_id, clock.now(), index=i, password_hash=password_hash, kind="owner")
                ledger.open_account(kind="user", currency=currency, user_id=owner.id)
                owners.append(owner.email)
            uow.commit()
        for i, owner_email in enumerate(owners):
            merchant = create_merchant(name=f"Bench Shop {i}", city="Singapore", country="SG", mcc="5814",
                                       currency=currency, owner=owner_email)
            with unit_of_work() as uow:
                qr = issue_code(db.session.get(Merchant, merchant["id"]), kind="static", currency=currency,
                                amount=None, reference=None, expires_in=None)
                uow.commit()
            row = {"id": merchant["id"], "qr_id": qr.id, "payload": qr.payload}
            owner = db.session.execute(select(User).where(User.email == owner_email)).scalar_one()
            row["terminal"] = seed_pos.register_terminal(owner, merchant["id"])
            if vending:  # the bank test's vending machines
                row["vending"] = seed_pos.register_terminal(owner, merchant["id"], kind="vending")
            if webhook_url:
                row["webhook"] = seed_pos.register_webhook(app, owner, merchant["id"], webhook_url)
            out["merchants"].append(row)
        if devices:
            out["payment_codes"] = seed_pos.register_devices(app, [u["id"] for u in out["users"]], devices)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--merchants", type=int, required=True)
    parser.add_argument("--balance", type=int, required=True)
    parser.add_argument("--devices", type=int, default=0, help="payment-code devices, spread over the users")
    parser.add_argument("--webhook-url", help="base URL of the webhook receiver; the merchant id is appended")
    parser.add_argument("--vending", action="store_true", help="also a vending terminal per merchant")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    started = time.monotonic()
    data = seed(args.users, args.merchants, args.balance, args.devices, args.webhook_url, args.vending)
    data["seconds"] = round(time.monotonic() - started, 2)
    with open(args.out, "w") as fh:
        json.dump(data, fh)
    devices = len(data.get("payment_codes", {}).get("devices", []))
    print(f"seeded {args.users} users, {args.merchants} merchants, {devices} devices in {data['seconds']} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

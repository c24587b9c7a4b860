"""Wallet use cases: open and read wallets, top up, send money to another person.

Each public function is one unit of work. Money-moving ones run through run_once, so a retry
with the same Idempotency-Key returns the first answer and moves nothing again.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.identity import find_user
from app.auth.models import User
from app.auth.services.pin import require_payment_pin
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, run_once
from app.core.uow import unit_of_work
from app.extensions import db
from app.wallet import ledger
from app.wallet.models import Account
from app.wallet.presenters import transaction_out, user_counterparty, wallet_out
from app.wallet.providers import provider


def require_verified(user: User) -> None:
    if not user.verified:
        raise AppError(Code.NOT_VERIFIED, "verify your phone or e-mail before moving money")


def owned_wallet(user: User, wallet_id: str) -> Account:
    """The user's own wallet, or 404 (someone else's wallet looks exactly like a missing one)."""
    account = db.session.execute(select(Account).where(
        Account.id == wallet_id, Account.user_id == user.id, Account.kind == "user")).scalar_one_or_none()
    if account is None:
        raise not_found("wallet")
    return account


def wallets_of(user: User) -> list[Account]:
    """The user's wallets in GET /wallets order (also the payment-code slot order)."""
    return list(db.session.execute(select(Account).where(Account.user_id == user.id, Account.kind == "user")
                                   .order_by(Account.created_at, Account.id)).scalars())


def list_wallets(user: User) -> list[dict]:
    return [wallet_out(a) for a in wallets_of(user)]


def get_wallet(user: User, wallet_id: str) -> dict:
    return wallet_out(owned_wallet(user, wallet_id))


def open_first_wallet(user: User) -> None:
    """On app.auth.events.account_verified, inside the verification's unit of work: every
    verified account has a wallet in DEFAULT_CURRENCY."""
    ledger.open_account(kind="user", currency=current_app.config["DEFAULT_CURRENCY"], user_id=user.id)


def open_wallet(user: User, currency: str) -> dict:
    require_verified(user)
    try:
        with unit_of_work() as uow:
            if db.session.execute(select(Account.id).filter_by(user_id=user.id, currency=currency)).first():
                raise AppError(Code.ALREADY_EXISTS, f"you already have a {currency} wallet")
            account = ledger.open_account(kind="user", currency=currency, user_id=user.id)
            uow.commit()
    except IntegrityError:  # the same request twice at once: the unique constraint decides
        raise AppError(Code.ALREADY_EXISTS, f"you already have a {currency} wallet") from None
    return wallet_out(account)


def topup(user: User, wallet_id: str, *, amount: int, source: str,
          idem: IdempotencyRequest | None) -> tuple[int, dict]:
    require_verified(user)

    def work():
        wallet = owned_wallet(user, wallet_id)
        if wallet.status != "active":
            raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        cap = current_app.config["MAX_WALLET_BALANCE"]
        if wallet.balance + wallet.credits_pending + amount > cap:  # checked again under the lock
            raise AppError(Code.BALANCE_LIMIT_EXCEEDED, "the wallet would exceed its maximum balance",
                           {"max_balance": cap})
        # The sandbox answers at once. A real processor would be called before the transaction
        # (a pending top-up) and settled by its webhook; the ledger call below would not change.
        charge = provider(current_app.config["TOPUP_PROVIDER"]).charge(
            source=source, amount=amount, currency=wallet.currency, idempotency_key=idem and idem.key)
        float_account = ledger.system_account(ledger.TOPUP_FLOAT, wallet.currency)
        txn = ledger.new_transaction(type="topup", status="succeeded", amount=amount, currency=wallet.currency,
                                     debit_id=float_account.id, credit_id=wallet.id, initiator_id=user.id,
                                     reference=charge.reference)
        ledger.record_transfer(txn, kind="posted", debit_id=float_account.id, credit_id=wallet.id,
                               amount=amount, credit_balance_cap=cap)
        return 201, {"id": txn.id, "status": txn.status, "amount": amount, "currency": wallet.currency,
                     "wallet_id": wallet.id, "created_at": txn.created_at.isoformat()}

    return run_once(idem, work)


def _recipient_wallet(sender: User, to: str, currency: str) -> tuple[Account, User]:
    if to.startswith("wal_"):
        account = db.session.execute(select(Account).filter_by(id=to, kind="user")).scalar_one_or_none()
        owner = db.session.get(User, account.user_id) if account is not None else None
        # A disabled or unverified owner is as unreachable by wallet id as by phone or e-mail.
        if account is None or owner is None or not owner.verified or owner.status != "active":
            raise AppError(Code.RECIPIENT_NOT_FOUND, "no wallet with this id")
        if account.currency != currency:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"that wallet holds {account.currency}, not {currency}")
    else:
        owner = find_user(to)
        if owner is None or not owner.verified or owner.status != "active":
            raise AppError(Code.RECIPIENT_NOT_FOUND, "nobody we know has this phone number or e-mail")
        account = db.session.execute(select(Account).filter_by(
            user_id=owner.id, currency=currency, kind="user")).scalar_one_or_none()
        if account is None:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"the recipient has no {currency} wallet")
    if account.user_id == sender.id:
        raise AppError(Code.SELF_TRANSFER, "you cannot send money to yourself")
    if account.status != "active":
        raise AppError(Code.RECIPIENT_FROZEN, "the recipient's wallet cannot receive money")
    return account, owner


def transfer(user: User, *, to: str, amount: int, currency: str, note: str | None, pin: str | None,
             idem: IdempotencyRequest | None) -> tuple[int, dict]:
    require_verified(user)
    require_payment_pin(user, pin, amount)

    def work():
        source = db.session.execute(select(Account).filter_by(
            user_id=user.id, currency=currency, kind="user")).scalar_one_or_none()
        if source is None:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"you have no {currency} wallet")
        if source.status != "active":
            raise AppError(Code.WALLET_FROZEN, "your wallet is frozen")
        target, recipient = _recipient_wallet(user, to, currency)
        txn = ledger.new_transaction(type="transfer", status="succeeded", amount=amount, currency=currency,
                                     debit_id=source.id, credit_id=target.id, initiator_id=user.id, note=note)
        ledger.record_transfer(txn, kind="posted", debit_id=source.id, credit_id=target.id, amount=amount,
                               credit_balance_cap=current_app.config["MAX_WALLET_BALANCE"])
        return 201, transaction_out(txn, viewer_account=source,
                                    others={target.id: user_counterparty(target, recipient)})

    return run_once(idem, work)

"""Wallet use cases: open and read wallets, top up, send money to another person.

Each public function is one unit of work. Money-moving ones are idempotent: a retry with the
same Idempotency-Key returns the first answer and moves nothing again. A transfer is one call to
the database function wallet_transfer, a top-up one call to wallet_topup (after the processor).
"""
from __future__ import annotations

import json
from collections.abc import Callable

from flask import current_app
from sqlalchemy import and_, select, text
from sqlalchemy.exc import IntegrityError

from app.auth.current import inactive_user
from app.auth.identity import PHONE, normalize
from app.auth.models import User
from app.auth.services.pin import pin_needed, refuse_if_pin_locked, require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.driver_call import execute_one
from app.core.ids import new_id
from app.core.uow import single_statement, unit_of_work
from app.extensions import db
from app.wallet import freezes, ledger
from app.wallet.models import Account
from app.wallet.presenters import wallet_out
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
    wallets, frozen = wallets_of(user), freezes.active_freezes(user.id)
    return [wallet_out(a, freezes.frozen_state(frozen, a.id)) for a in wallets]


def signed_in_wallet(user_id: str, wallet_id: str) -> Account:
    """The signed-in user's own wallet, for a read, with the user's status checked in the same
    statement: a read needs nothing else of the user row, and current_user() would cost a round
    trip of its own. A disabled user is refused as current_user() refuses them; someone else's
    wallet is a 404."""
    row = db.session.execute(
        select(User.status, Account).select_from(User)
        .outerjoin(Account, and_(Account.user_id == User.id, Account.id == wallet_id, Account.kind == "user"))
        .where(User.id == user_id)).one_or_none()
    if row is None or row.status != "active":
        raise inactive_user()
    if row.Account is None:
        raise not_found("wallet")
    return row.Account


# GET /wallets/{id}, which phones poll: the wallet, its owner's status and whether any freeze of
# the owner applies now (as app.wallet.freezes.applying says), in one statement sent straight
# through psycopg. Built with SQLAlchemy's select() it spent about 70% of the read's CPU building
# the query and its cache key on every call (cProfile, in-process). The figures are named as
# Account's properties (balance, available, held), so wallet_out reads the row as it reads an Account.
_WALLET_READ = text("""
SELECT u.status AS user_status, a.id, a.currency, a.status, a.created_at,
       a.credits_posted - a.debits_posted AS balance, a.debits_pending AS held,
       a.credits_posted - a.debits_posted - a.debits_pending AS available,
       EXISTS (SELECT 1 FROM freezes f
                WHERE f.user_id = u.id AND (f.lifted_at IS NULL OR f.lifted_at > :now)
                  AND (f.ends_at IS NULL OR f.ends_at > :now)) AS any_freeze
  FROM users u LEFT JOIN accounts a ON a.user_id = u.id AND a.id = :wallet_id AND a.kind = 'user'
 WHERE u.id = :user_id""")


def get_wallet(user_id: str, wallet_id: str) -> dict:
    """One statement (_WALLET_READ). Only when a freeze applies (rare) are the freezes read, to
    say which covers this wallet. A disabled user is refused as current_user() refuses them;
    someone else's wallet is a 404."""
    with single_statement() as connection:
        row = execute_one(connection, _WALLET_READ, {"user_id": user_id, "wallet_id": wallet_id, "now": clock.now()})
    if row is None or row.user_status != "active":
        raise inactive_user()
    if row.id is None:
        raise not_found("wallet")
    frozen = freezes.frozen_state(freezes.active_freezes(user_id), row.id) if row.any_freeze else None
    return wallet_out(row, frozen)


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


# What wallet_topup (app/wallet/sql/wallet_topup.sql) may refuse; the first two are refused before
# the key is claimed and are not stored under it.
TOPUP_REFUSALS: ledger.Refusals = {
    "inactive_user": (Code.TOKEN_INVALID, "the token is not valid", None),
    "not_verified": (Code.NOT_VERIFIED, "verify your phone or e-mail before moving money", None),
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "wallet_not_found": (Code.NOT_FOUND, "wallet not found", None),
    "wallet_frozen": (Code.WALLET_FROZEN, "this wallet is frozen", None),
}
_TOPUP = text("SELECT * FROM wallet_topup(:scope, :key, :fingerprint, :ttl, :user_id, :wallet_id, :amount, :cap, "
              ":reference, :now, :now_iso, :transaction_id, :transfer_id, :float_id)")
# Before the processor is asked: the wallet's currency (the charge is in it) and whether the
# top-up could land at all (an 'all' freeze stops money coming in: app/wallet/sql/freezes.sql). Read,
# not locked: wallet_topup checks it all again under its locks (a freeze set in between: recipient_frozen).
_BEFORE_CHARGE = text("SELECT currency, status, credits_posted - debits_posted + credits_pending AS held, "
                      "freeze_scope(user_id, id, :now) AS frozen "
                      "FROM accounts WHERE id = :wallet_id AND user_id = :user_id AND kind = 'user'")


def topup(user: User, wallet_id: str, *, amount: int, source: str,
          idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """The processor's charge, then one database call (wallet_topup) that claims the key, checks
    the wallet, posts float -> wallet under the balance cap and stores the answer.

    The processor is asked first (the sandbox answers at once; a real one gets the key, so a
    retried top-up is charged once), and only for a top-up that can land: a wallet that is not
    the user's, frozen or too full is refused without charging the card, as before."""
    require_verified(user)
    cfg = current_app.config
    cap = cfg["MAX_WALLET_BALANCE"]
    now = clock.now()
    params = {**claim_params(idem), "user_id": user.id, "wallet_id": wallet_id,
              "amount": amount, "cap": cap, "now": now, "now_iso": clock.iso(now), "transaction_id": new_id("txn"),
              "transfer_id": new_id("trf"), "float_id": new_id("acc")}

    def call(connection) -> tuple[int, dict]:
        wallet = connection.execute(_BEFORE_CHARGE, params).one_or_none()
        if wallet is None:
            raise not_found("wallet")
        if wallet.status != "active" or wallet.frozen == "all":
            raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        if wallet.held + amount > cap:
            raise AppError(Code.BALANCE_LIMIT_EXCEEDED, "the wallet would exceed its maximum balance",
                           {"max_balance": cap})
        # A decline is an AppError too: stored under the key like every refusal (run_in_database).
        charge = provider(cfg["TOPUP_PROVIDER"]).charge(source=source, amount=amount, currency=wallet.currency,
                                                        idempotency_key=idem and idem.key)
        row = ledger.call_payment(connection, _TOPUP, params | {"reference": charge.reference}, TOPUP_REFUSALS,
                                  CALLER_REFUSALS)
        return row.status, json.loads(row.body)

    return run_in_database(idem, call)


# What wallet_transfer (app/wallet/sql/wallet_transfer.sql) may refuse before it writes anything.
TRANSFER_REFUSALS = {
    "inactive_user": (Code.TOKEN_INVALID, "the token is not valid", None),
    "not_verified": (Code.NOT_VERIFIED, "verify your phone or e-mail before moving money", None),
    "no_source_wallet": (Code.CURRENCY_NOT_SUPPORTED, "you have no {currency} wallet", None),
    "source_frozen": (Code.WALLET_FROZEN, "your wallet is frozen", None),
    "no_wallet_with_id": (Code.RECIPIENT_NOT_FOUND, "no wallet with this id", None),
    "wallet_in_other_currency": (Code.CURRENCY_NOT_SUPPORTED, "that wallet holds {held}, not {currency}", None),
    "nobody_with_identifier": (Code.RECIPIENT_NOT_FOUND, "nobody we know has this phone number or e-mail", None),
    "recipient_without_wallet": (Code.CURRENCY_NOT_SUPPORTED, "the recipient has no {currency} wallet", None),
    "self_transfer": (Code.SELF_TRANSFER, "you cannot send money to yourself", None),
    "recipient_frozen": (Code.RECIPIENT_FROZEN, "the recipient's wallet cannot receive money", None),
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
}
_TRANSFER = text("SELECT * FROM wallet_transfer(:scope, :key, :fingerprint, :ttl, :user_id, :currency, :to_wallet, "
                 ":to_phone, :to_email, :amount, :note, :cap, :now, :now_iso, :transaction_id, :transfer_id)")


def _recipient(to: str) -> dict:
    """Who `to` names, as the function looks it up: a wallet id, an E.164 phone or an e-mail."""
    if to.startswith("wal_"):
        return {"to_wallet": to, "to_phone": None, "to_email": None}
    identifier = normalize(to)
    phone = identifier if PHONE.match(identifier) else None
    return {"to_wallet": None, "to_phone": phone, "to_email": None if phone else identifier}


CALLER_REFUSALS = {"inactive_user", "not_verified"}  # not stored under the key


def transfer(user_id: str, load_user: Callable[[], User], *, to: str, amount: int, currency: str,
             note: str | None, pin: str | None, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (wallet_transfer) checks the sender, claims the key, checks, posts and
    stores the answer. The user row is read (load_user) only when the amount needs the PIN."""
    refuse_if_pin_locked(user_id)
    if pin_needed(amount, pin):
        require_payment_pin(load_user(), pin, amount)
    cfg = current_app.config
    now = clock.now()
    params = {**claim_params(idem), "user_id": user_id, "currency": currency,
              **_recipient(to), "amount": amount, "note": note, "cap": cfg["MAX_WALLET_BALANCE"], "now": now,
              "now_iso": clock.iso(now), "transaction_id": new_id("txn"), "transfer_id": new_id("trf")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _TRANSFER, params, TRANSFER_REFUSALS, CALLER_REFUSALS)
        return row.status, json.loads(row.body)

    return run_in_database(idem, call)

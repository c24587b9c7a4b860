"""A terminal charges the code the customer shows.

    POST /pos/charges            terminal: resolve the scanned code and pay, or ask the customer
    GET  /pos/charges/{id}       terminal: the outcome, waiting for it if asked (long poll)
    (the customer approves large ones in the app: app.checkout.confirmations)

A scanned code is single-use, so a retried charge must not resolve it again: the answer stored
under the Idempotency-Key is looked up first. A refused charge is kept (status "failed" with its
reason) and answered 402 with its id, so the till can print it and the merchant can find it.
Lock order everywhere: the charge row, then the two accounts (in record_transfer).
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.auth.services.pin import refuse_if_pin_locked
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, run_once, single_flight
from app.core.ids import new_id
from app.core.notify import get_notifier, long_poll
from app.core.uow import end_read
from app.extensions import db
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.merchant.services import merchant_account
from app.pos.batches.services import hold_batch_open
from app.pos.charges.models import PosCharge
from app.pos.terminals.models import Terminal
from app.qr.devices.services import resolve_payment_code
from app.wallet import ledger
from app.wallet.models import Account


PENDING = "requires_confirmation"


def channel(charge_id: str) -> str:
    return f"charge:{charge_id}"


def publish(charge_id: str) -> None:  # after the commit that changed the charge, never before
    get_notifier().publish(channel(charge_id))


def owner_display(name: str | None) -> str | None:
    """"Alice Dupont" -> "Alice D.": enough for a cashier to ask "Alice?", never the phone."""
    parts = (name or "").split()
    return None if not parts else parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def effective_status(charge: PosCharge) -> str:
    # Expiry is read, not written: no job has to run for an unapproved charge to end.
    if charge.status == PENDING and clock.as_utc(charge.expires_at) <= clock.now():
        return "expired"
    return charge.status


def charge_out(charge: PosCharge) -> dict:
    owner = db.session.get(User, charge.user_id) if charge.user_id else None
    return {"id": charge.id, "status": effective_status(charge), "amount": charge.amount,
            "currency": charge.currency, "reference": charge.reference,
            "wallet_owner_display": owner_display(owner.name) if owner else None,
            "created_at": clock.iso(charge.created_at), "transaction_id": charge.transaction_id,
            "expires_at": clock.iso(charge.expires_at), "refunded_amount": charge.refunded_amount,
            "failure_code": charge.failure_code}


def find_charge(charge_id: str, owner, *, lock: bool) -> PosCharge:
    """A charge that `owner` (a terminal or customer condition) may see, else 404: someone
    else's looks exactly like a missing one. Locked FOR UPDATE, re-read, if asked."""
    stmt = select(PosCharge).where(PosCharge.id == charge_id, PosCharge.kind == "charge", owner)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    charge = db.session.execute(stmt).scalar_one_or_none()
    if charge is None:
        raise not_found("charge")
    return charge


def terminal_charge(terminal: Terminal, charge_id: str, *, lock: bool = False) -> PosCharge:
    return find_charge(charge_id, PosCharge.terminal_id == terminal.id, lock=lock)


def pay_charge(charge: PosCharge, account_id: str | None = None) -> None:
    """Customer wallet -> merchant account, inside the caller's unit of work. A terminal's charge
    passes the account id it checked before resolving the code, saving a query; a confirmation
    looks it up here."""
    hold_batch_open(charge.terminal_id)
    account_id = account_id or merchant_account(charge.merchant_id, charge.currency).id
    txn = ledger.new_transaction(type="payment", status="succeeded", amount=charge.amount,
                                 currency=charge.currency, debit_id=charge.wallet_id, credit_id=account_id,
                                 initiator_id=charge.user_id, reference=charge.reference,
                                 terminal_id=charge.terminal_id)
    # Emitted before the transfer on purpose: if the ledger refuses it (insufficient funds), the
    # unit of work rolls back with the event in it, so a payment that did not happen is never sent.
    emit(charge.merchant_id, "payment.succeeded", charge_event(charge, id=txn.id, transaction_id=txn.id))
    ledger.record_transfer(txn, kind="posted", debit_id=charge.wallet_id, credit_id=account_id,
                           amount=charge.amount)
    charge.status, charge.transaction_id = "succeeded", txn.id
    charge.captured_amount, charge.updated_at = charge.amount, clock.now()


def charge_event(charge: PosCharge, **extra) -> dict:
    """The data of a charge's webhook events: what the merchant's books need, nothing of the payer."""
    return {"charge_id": charge.id, "merchant_id": charge.merchant_id, "terminal_id": charge.terminal_id,
            "amount": charge.amount, "currency": charge.currency, "reference": charge.reference,
            "created_at": clock.iso(charge.created_at), **extra}


def _require_merchant_account(terminal: Terminal, currency: str) -> str:
    # Checked before the code is resolved: a till set to the wrong currency must not use up codes.
    merchant = db.session.get(Merchant, terminal.merchant_id)
    account = merchant_account(terminal.merchant_id, currency)
    if merchant is None or merchant.status != "active" or account is None or account.status != "active":
        raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"this merchant cannot take payments in {currency}")
    return account.id


def _new_charge(terminal: Terminal, payer: dict, *, amount: int, currency: str, reference: str | None,
                status: str) -> PosCharge:
    now = clock.now()
    charge = PosCharge(id=new_id("chg"), kind="charge", terminal_id=terminal.id, merchant_id=terminal.merchant_id,
                       user_id=payer.get("user_id"), wallet_id=payer.get("wallet_id"), amount=amount,
                       currency=currency, reference=reference, status=status, captured_amount=0,
                       refunded_amount=0, created_at=now, updated_at=now)
    db.session.add(charge)
    return charge


def create_charge(terminal: Terminal, *, payment_code: str, amount: int, currency: str, reference: str | None,
                  idem: IdempotencyRequest | None) -> tuple[int, dict]:
    # single_flight: a retry (even one sent at the same moment) gets the first answer without
    # resolving the single-use code again.
    return single_flight(idem, lambda: _charge(terminal, payment_code, amount, currency, reference, idem))


def _charge(terminal: Terminal, payment_code: str, amount: int, currency: str, reference: str | None,
            idem: IdempotencyRequest | None) -> tuple[int, dict]:
    account_id = _require_merchant_account(terminal, currency)
    payer: dict = {}
    refusal: AppError | None = None
    try:
        wallet, device = resolve_payment_code(payment_code, caller=terminal.id)
        payer = {"wallet_id": wallet.id, "user_id": device.user_id}
        # A customer locked out by wrong PINs pays nothing, small amounts included, until the lock ends.
        refuse_if_pin_locked(device.user_id)
    except AppError as exc:
        if exc.code == Code.TOO_MANY_ATTEMPTS:
            raise  # the terminal is shut out; no charge happened, so none is recorded or stored
        refusal = exc

    def work():
        if refusal is not None:
            raise refusal
        wallet = db.session.get(Account, payer["wallet_id"])
        if wallet.currency != currency:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"the customer's code pays from a {wallet.currency} "
                           f"wallet, not {currency}")
        if wallet.status != "active":
            raise AppError(Code.WALLET_FROZEN, "the customer's wallet is frozen")
        charge = _new_charge(terminal, payer, amount=amount, currency=currency, reference=reference, status=PENDING)
        if amount > current_app.config["NO_PIN_AMOUNT"]:
            # Nothing moves until the customer approves with their PIN in the app.
            charge.expires_at = charge.created_at + timedelta(seconds=current_app.config["CHARGE_CONFIRMATION_TTL"])
        else:
            pay_charge(charge, account_id)
        db.session.flush()
        return 201, charge_out(charge)

    def record_failure(exc: AppError) -> AppError:
        charge = _new_charge(terminal, payer, amount=amount, currency=currency, reference=reference,
                             status="failed")
        charge.failure_code = str(exc.code)
        emit(charge.merchant_id, "payment.failed", charge_event(charge, failure_code=charge.failure_code))
        # Only the charge id goes back: the merchant must not learn the customer's balance.
        return exc.as_payment_refusal(charge_id=charge.id)

    return run_once(idem, work, on_refusal=record_failure)


def follow_charge(terminal: Terminal, charge_id: str, *, wait: float) -> dict:
    """The charge now; with wait > 0, as soon as it is no longer waiting for the customer, or
    after `wait` seconds, whichever comes first."""
    seen: dict = {}

    def check() -> bool:
        seen["charge"] = charge_out(terminal_charge(terminal, charge_id))
        end_read()  # hand the connection back before sleeping
        return seen["charge"]["status"] != PENDING

    if wait > 0:
        long_poll(check, channel(charge_id), wait)
    else:
        check()
    return seen["charge"]

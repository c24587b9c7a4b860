"""Vending authorizations: a hold for the maximum price on the wallet behind a scanned code,
then a capture of what the machine dispensed (the rest released), a void, or expiry.

A PosCharge of kind "authorization" records what the terminal asked for and how it ended; the
money is a hold in the ledger (app.wallet.holds), the transaction the charge points at. The
hold's transaction carries the terminal id, so batches find its capture.

A machine cannot ask for a PIN, so a hold above NO_PIN_AMOUNT is refused outright (422
amount_too_large) rather than sent to the customer's app for approval.
"""
from __future__ import annotations

import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, text

from app.auth.services.pin import refuse_if_pin_locked
from app.core import clock
from app.core.errors import AppError, Code, envelope, not_found
from app.core.idempotency import IdempotencyRequest, run_in_database, run_once, single_flight
from app.core.ids import new_id
from app.extensions import db
from app.merchant.models import Merchant
from app.merchant.services import merchant_account
from app.pos.charges.models import PosCharge
from app.pos.terminals.models import Terminal
from app.qr.devices.services import resolve_payment_code
from app.wallet import holds, ledger
from app.wallet.models import Transaction

Result = tuple[int, dict]
# A request holding an Idempotency-Key while it resolves the code: longer than any takes, short
# enough that a worker that died mid-way does not block the terminal's retries for long.


def _status(charge: PosCharge, txn_status: str | None) -> str:
    """The hold's transaction is the truth (the sweeper marks the charge expired too, but rows
    written before it did not): an expired hold reads as expired here. So does one past its
    expiry that the sweeper has not reached yet, since it can no longer be captured."""
    if charge.transaction_id is None:
        return charge.status
    if txn_status == "authorized" and clock.as_utc(charge.expires_at) <= clock.now():
        return "expired"
    return {"authorized": "authorized", "captured": "captured", "voided": "voided"}.get(txn_status, "expired")


def authorization_out(charge: PosCharge, txn_status: str | None) -> dict:
    return {"id": charge.id, "status": _status(charge, txn_status), "amount": charge.amount,
            "currency": charge.currency, "captured_amount": charge.captured_amount,
            "expires_at": clock.iso(charge.expires_at), "reference": charge.reference,
            "failure_code": charge.failure_code, "created_at": clock.iso(charge.created_at)}


def _payee(terminal: Terminal, currency: str | None, amount: int) -> tuple[str, str]:
    """(merchant account id, currency), or a refusal that needs no code: checked before the code
    is resolved, so a request that could never succeed does not use up the customer's code."""
    merchant = db.session.get(Merchant, terminal.merchant_id)
    currency = currency or merchant.currency
    if currency != merchant.currency:
        raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"this terminal takes {merchant.currency} only")
    limit = current_app.config["NO_PIN_AMOUNT"]
    if amount > limit:
        raise AppError(Code.AMOUNT_TOO_LARGE, f"a vending hold is at most {limit} minor units: the customer "
                       "cannot enter a PIN at a machine", {"max_amount": limit})
    account = merchant_account(merchant.id, currency)
    if merchant.status != "active" or account is None or account.status != "active":
        raise AppError(Code.FORBIDDEN, "this merchant cannot take payments now")
    return account.id, currency


def _new_charge(terminal: Terminal, *, amount: int, currency: str, reference: str | None, status: str,
                user_id: str | None = None, wallet_id: str | None = None, **fields) -> PosCharge:
    now = clock.now()
    charge = PosCharge(id=new_id("aut"), kind="authorization", terminal_id=terminal.id,
                       merchant_id=terminal.merchant_id, user_id=user_id, wallet_id=wallet_id, amount=amount,
                       currency=currency, reference=reference, status=status, captured_amount=0,
                       refunded_amount=0, created_at=now, updated_at=now, **fields)
    db.session.add(charge)
    return charge


def _failed(terminal: Terminal, refusal: AppError, *, amount: int, currency: str, reference: str | None,
            user_id: str | None = None, wallet_id: str | None = None) -> Result:
    """Recorded, and answered 402 whatever the reason: the terminal shows "payment refused"."""
    charge = _new_charge(terminal, amount=amount, currency=currency, reference=reference, status="failed",
                         user_id=user_id, wallet_id=wallet_id, failure_code=str(refusal.code))
    refused = refusal.as_payment_refusal(authorization_id=charge.id)
    return refused.status, envelope(refused.code, refused.message, refused.details)


def authorize(terminal: Terminal, *, payment_code: str, amount: int, currency: str | None,
              reference: str | None, idem: IdempotencyRequest | None) -> Result:
    # single_flight: a retry gets the stored answer without resolving the single-use code again.
    return single_flight(idem, lambda: _authorize(terminal, payment_code, amount, currency, reference, idem))


def _authorize(terminal: Terminal, payment_code: str, amount: int, currency: str | None, reference: str | None,
               idem: IdempotencyRequest | None) -> Result:
    account_id, currency = _payee(terminal, currency, amount)
    payer, refusal = None, None
    try:
        wallet, device = resolve_payment_code(payment_code, caller=terminal.id)
        payer = (wallet.id, device.user_id)
        refuse_if_pin_locked(device.user_id)  # as for a till's charge: a PIN lock stops every payment
    except AppError as exc:
        if exc.code == Code.TOO_MANY_ATTEMPTS:
            raise  # the terminal is locked out: nothing was presented, nothing to record
        refusal = exc
    asked = {"amount": amount, "currency": currency, "reference": reference}

    def work() -> Result:
        if refusal is not None:
            return _failed(terminal, refusal, **asked)
        wallet_id, user_id = payer
        wallet = ledger.lock_accounts([wallet_id, account_id])[wallet_id]
        # Checked under the lock, so the hold below cannot fail; a refusal is then a recorded
        # failed authorization, not a rolled-back transaction. The balance stays private: the
        # terminal belongs to the merchant, not to the customer.
        problem = None
        if wallet.currency != currency:
            problem = AppError(Code.CURRENCY_NOT_SUPPORTED, f"this wallet does not hold {currency}")
        elif wallet.status != "active":
            problem = AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        elif wallet.available < amount:
            problem = AppError(Code.INSUFFICIENT_FUNDS, "not enough money in the wallet",
                               {"requested": amount})
        if problem is not None:
            return _failed(terminal, problem, user_id=user_id, wallet_id=wallet_id, **asked)
        expires_at = clock.now() + timedelta(seconds=current_app.config["HOLD_EXPIRES_IN"])
        txn = holds.place_hold(debit_id=wallet_id, credit_id=account_id, amount=amount, currency=currency,
                               expires_at=expires_at, initiator_id=user_id, reference=reference,
                               terminal_id=terminal.id)
        charge = _new_charge(terminal, status="authorized", user_id=user_id, wallet_id=wallet_id,
                             transaction_id=txn.id, expires_at=expires_at, **asked)
        return 201, authorization_out(charge, txn.status)
    return run_once(idem, work)


def _own(terminal: Terminal, authorization_id: str) -> PosCharge:
    """This terminal's authorization (another terminal's is 404, like a missing one)."""
    charge = db.session.execute(select(PosCharge).filter_by(
        id=authorization_id, terminal_id=terminal.id, kind="authorization")).scalar_one_or_none()
    if charge is None:
        raise not_found("authorization")
    return charge


# What authorization_settle (app/pos/sql/terminal_holds.sql) refuses, besides hold_settle's own.
SETTLE_REFUSALS: ledger.Refusals = holds.HOLD_REFUSALS | {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "authorization_not_found": (Code.NOT_FOUND, "authorization not found", None),
    "nothing_held": (Code.HOLD_NOT_PENDING, "this authorization was refused; nothing is held", ledger.AS_RAISED),
}
_SETTLE = text("SELECT * FROM authorization_settle(:scope, :key, :fingerprint, :ttl, :terminal_id, :authorization_id, "
               ":action, :amount, :now, :transfer_id, :event_id)")


def _settle(terminal: Terminal, authorization_id: str, action: str, amount: int | None,
            idem: IdempotencyRequest | None) -> Result:
    """One database call: the key, the authorization's row lock, the batch, the hold settled, the
    row updated, the merchant's event and the stored answer (terminal_holds.sql says in what order)."""
    params = {"scope": idem and idem.scope, "key": idem and idem.key, "fingerprint": idem and idem.fingerprint,
              "ttl": timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"]), "terminal_id": terminal.id,
              "authorization_id": authorization_id, "action": action, "amount": amount, "now": clock.now(),
              "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    def call(connection) -> Result:
        row = ledger.call_payment(connection, _SETTLE, params, SETTLE_REFUSALS, set())
        return row.status, json.loads(row.body)
    return run_in_database(idem, call)


def capture(terminal: Terminal, authorization_id: str, *, amount: int, idem: IdempotencyRequest | None) -> Result:
    """Take `amount` (at most the hold) and release the rest."""
    return _settle(terminal, authorization_id, "capture", amount, idem)


def void(terminal: Terminal, authorization_id: str, *, idem: IdempotencyRequest | None) -> Result:
    """Release the whole hold. Voiding again (or after the hold expired) answers as it stands."""
    return _settle(terminal, authorization_id, "void", None, idem)


def get_authorization(terminal: Terminal, authorization_id: str) -> dict:
    charge = _own(terminal, authorization_id)
    txn = db.session.get(Transaction, charge.transaction_id) if charge.transaction_id else None
    return authorization_out(charge, txn.status if txn else None)

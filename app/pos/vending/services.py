"""Vending authorizations: a hold for the maximum price on the wallet behind a scanned code,
then a capture of what the machine dispensed (the rest released), a void, or expiry.

A PosCharge of kind "authorization" records what the terminal asked for and how it ended; the
money is a hold in the ledger (app.wallet.holds), the transaction the charge points at. The
hold's transaction carries the terminal id, so batches find its capture.

A machine cannot ask for a PIN, so a hold above NO_PIN_AMOUNT is refused outright (422
amount_too_large) rather than sent to the customer's app for approval.

The authorization is one database call, vending_authorize (vending_authorize.sql, through
app.pos.code_payments); capture, void and expiry work on the hold it placed.
"""
from __future__ import annotations


from flask import current_app
from sqlalchemy import select, text

from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, run_once
from app.extensions import db
from app.merchant.events import emit
from app.pos.batches.services import hold_batch_open
from app.pos.charges.models import PosCharge
from app.pos.code_payments import pay_by_code
from app.pos.terminals.models import Terminal
from app.wallet import holds
from app.wallet.models import Transaction

Result = tuple[int, dict]


def _status(charge: PosCharge, txn_status: str | None) -> str:
    """The hold's transaction is the truth: `flask ledger expire-holds` releases holds without
    knowing about terminals, so an expired hold reads as expired here. So does one past its
    expiry that the job has not reached yet, since it can no longer be captured."""
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


_VENDING_AUTHORIZE = text(
    "SELECT * FROM vending_authorize(:scope, :key, :fingerprint, :ttl, :terminal_id, :merchant_id, :device_id, "
    ":step, :slot, :code_refusal, :pin_locked, :amount, :currency, :reference, :max_amount, :expires_at, "
    ":expires_iso, CAST(:messages AS json), :now, :now_iso, :charge_id, :transaction_id, :transfer_id)")
# Refused before the code is taken or the key claimed (nothing recorded): a request that could
# never succeed does not use up the customer's code.
_BEFORE_KEY = {
    "terminal_currency": (Code.CURRENCY_NOT_SUPPORTED, "this terminal takes {currency} only", False),
    "amount_too_large": (Code.AMOUNT_TOO_LARGE, "a vending hold is at most {max_amount} minor units: the customer "
                         "cannot enter a PIN at a machine", True),
    "merchant_closed": (Code.FORBIDDEN, "this merchant cannot take payments now", False),
}


def authorize(terminal: Terminal, *, payment_code: str, amount: int, currency: str | None,
              reference: str | None, idem: IdempotencyRequest | None) -> Result:
    """One database call, vending_authorize (vending_authorize.sql): the hold, or a recorded
    failed authorization answered 402 whatever the reason (the machine shows "payment refused")."""
    cfg = current_app.config
    return pay_by_code(terminal, _VENDING_AUTHORIZE, payment_code=payment_code, amount=amount, currency=currency,
                       reference=reference, idem=idem, expires_in=cfg["HOLD_EXPIRES_IN"], id_prefix="aut",
                       before_key=_BEFORE_KEY, max_amount=cfg["NO_PIN_AMOUNT"],
                       messages={"currency_not_supported": "this wallet does not hold the terminal's currency"})


def _own(terminal: Terminal, authorization_id: str, *, lock: bool = False) -> PosCharge:
    """This terminal's authorization (another terminal's is 404, like a missing one)."""
    stmt = select(PosCharge).filter_by(id=authorization_id, terminal_id=terminal.id, kind="authorization")
    if lock:
        # Two captures (or a capture and a void) of one authorization queue here; the second
        # then finds the hold resolved and gets its own refusal.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    charge = db.session.execute(stmt).scalar_one_or_none()
    if charge is None:
        raise not_found("authorization")
    return charge


def _hold_of(charge: PosCharge) -> str:
    if charge.transaction_id is None:
        raise AppError(Code.HOLD_NOT_PENDING, "this authorization was refused; nothing is held",
                       {"failure_code": charge.failure_code})
    return charge.transaction_id


def _event(charge: PosCharge, **amounts) -> dict:
    return {"authorization_id": charge.id, "merchant_id": charge.merchant_id, "terminal_id": charge.terminal_id,
            "transaction_id": charge.transaction_id, "currency": charge.currency, "reference": charge.reference,
            "created_at": clock.iso(charge.created_at), **amounts}


def capture(terminal: Terminal, authorization_id: str, *, amount: int, idem: IdempotencyRequest | None) -> Result:
    def work() -> Result:
        charge = _own(terminal, authorization_id, lock=True)
        hold_batch_open(terminal.id)
        txn = holds.capture_hold(_hold_of(charge), amount)
        charge.status, charge.captured_amount, charge.updated_at = "captured", amount, clock.now()
        emit(charge.merchant_id, "authorization.captured", _event(charge, amount=amount, authorized_amount=charge.amount))
        return 200, authorization_out(charge, txn.status)
    return run_once(idem, work)


def void(terminal: Terminal, authorization_id: str, *, idem: IdempotencyRequest | None) -> Result:
    """Release the whole hold. Voiding again (or after the hold expired) answers as it stands."""
    def work() -> Result:
        charge = _own(terminal, authorization_id, lock=True)
        was = charge.status
        txn = holds.void_hold(_hold_of(charge))
        charge.status, charge.updated_at = _status(charge, txn.status), clock.now()
        if was == "authorized" and charge.status == "voided":  # not on a repeated void: nothing changed
            emit(charge.merchant_id, "authorization.voided", _event(charge, amount=charge.amount))
        return 200, authorization_out(charge, txn.status)
    return run_once(idem, work)


def announce_expiry(hold: Transaction) -> bool:
    """Inside the expiry sweeper's unit of work (app.pos.hold_expiry): authorization.expired for
    the authorization whose hold was just released, with all of it released. False if the hold
    is not a vending authorization's."""
    charge = db.session.execute(select(PosCharge).filter_by(terminal_id=hold.terminal_id, transaction_id=hold.id,
                                                            kind="authorization")).scalar_one_or_none()
    if charge is None:
        return False
    emit(charge.merchant_id, "authorization.expired",
         _event(charge, amount=charge.amount, authorized_amount=charge.amount))
    return True


def get_authorization(terminal: Terminal, authorization_id: str) -> dict:
    charge = _own(terminal, authorization_id)
    txn = db.session.get(Transaction, charge.transaction_id) if charge.transaction_id else None
    return authorization_out(charge, txn.status if txn else None)

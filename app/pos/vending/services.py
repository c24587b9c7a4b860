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

import json

from flask import current_app
from sqlalchemy import select, text

from app.core import clock
from app.core.errors import Code, not_found
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.ids import new_id
from app.extensions import db
from app.pos.charges.models import PosCharge
from app.pos.code_payments import pay_by_code
from app.pos.terminals.models import Terminal
from app.wallet import holds, ledger
from app.wallet.models import Transaction

Result = tuple[int, dict]


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
    params = {**claim_params(idem), "terminal_id": terminal.id,
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

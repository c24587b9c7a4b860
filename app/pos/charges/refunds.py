"""Giving money back for a terminal's charge: a reversal, or refunds.

A reversal undoes a charge whose outcome the terminal never learned (the network dropped the
answer): allowed for REVERSAL_WINDOW seconds, idempotent, and it returns whatever has not been
refunded yet. A refund is the till's ordinary "give back", partial or full, at any time.

Both lock the charge row FOR UPDATE before the accounts (the order charges.py uses too), so two
refunds of one charge queue and the second sees what the first took; the CHECK constraint
refunded_amount <= captured_amount is the backstop should the code ever get this wrong. A refund
is one call to the database function pos_refund (pos_refund.sql); a reversal, rarer, still runs
through run_once and ledger_post.
"""
from __future__ import annotations

import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import text

from app.core import clock
from app.core.errors import AppError, Code
from app.core.idempotency import IdempotencyRequest, run_in_database, run_once
from app.core.ids import new_id
from app.merchant.events import emit
from app.merchant.services import merchant_account
from app.pos.batches.services import hold_batch_open
from app.pos.charges.services import PENDING, charge_event, charge_out, effective_status, publish, terminal_charge
from app.pos.charges.models import PosCharge
from app.pos.terminals.models import Terminal
from app.wallet import ledger
from app.wallet.models import Transaction


def _give_back(charge: PosCharge, *, type: str, amount: int) -> Transaction:
    """Merchant account -> customer wallet, tied to the payment by related_id. No balance cap on
    the wallet: this is the customer's own money coming back."""
    hold_batch_open(charge.terminal_id)
    account = merchant_account(charge.merchant_id, charge.currency)
    txn = ledger.new_transaction(type=type, status="succeeded", amount=amount, currency=charge.currency,
                                 debit_id=account.id, credit_id=charge.wallet_id, initiator_id=charge.terminal_id,
                                 reference=charge.reference, related_id=charge.transaction_id,
                                 terminal_id=charge.terminal_id)
    ledger.record_transfer(txn, kind="posted", debit_id=account.id, credit_id=charge.wallet_id, amount=amount)
    return txn


def _refund_event(charge: PosCharge, txn: Transaction, amount: int, *, reversal: bool) -> dict:
    return charge_event(charge, refund_id=txn.id, transaction_id=charge.transaction_id, amount=amount,
                        charged_amount=charge.captured_amount, refunded_total=charge.refunded_amount,
                        reversal=reversal, created_at=clock.as_utc(txn.created_at).isoformat())


def reverse_charge(terminal: Terminal, charge_id: str, *, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """succeeded -> the unrefunded amount goes back; requires_confirmation -> it can no longer be
    approved; anything else (failed, declined, expired, reversed) is answered as it is."""
    def work():
        charge = terminal_charge(terminal, charge_id, lock=True)
        if effective_status(charge) not in ("succeeded", PENDING):
            return 200, charge_out(charge)  # nothing (more) to undo: a repeated reversal lands here
        window = current_app.config["REVERSAL_WINDOW"]
        if clock.now() >= clock.as_utc(charge.created_at) + timedelta(seconds=window):
            raise AppError(Code.REVERSAL_WINDOW_CLOSED, f"a charge can be reversed for {window} s; refund it "
                           "instead", {"reversal_window": window})
        left = charge.captured_amount - charge.refunded_amount
        if charge.status == "succeeded" and left > 0:
            txn = _give_back(charge, type="reversal", amount=left)
            # There is no "reversal" event type, and the merchant's books heard payment.succeeded:
            # money went back, so they hear refund.succeeded, flagged as a reversal. Reversing a
            # charge still waiting for the customer moved no money and reports nothing.
            emit(charge.merchant_id, "refund.succeeded", _refund_event(charge, txn, left, reversal=True))
        charge.status, charge.updated_at = "reversed", clock.now()
        return 200, charge_out(charge)

    result = run_once(idem, work)
    publish(charge_id)  # a customer's app or a second till may be following it
    return result


# What pos_refund (pos_refund.sql) may refuse; all after the key is claimed, so stored under it.
REFUND_REFUSALS: ledger.Refusals = {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "charge_not_found": (Code.NOT_FOUND, "charge not found", None),
    "not_refundable": (Code.NOT_REFUNDABLE, "a {status} charge cannot be refunded", ledger.AS_RAISED),
    "exceeds_remaining": (Code.REFUND_EXCEEDS_REMAINING, "only {remaining} of this charge is left to refund",
                          ledger.AS_RAISED),
}
_POS_REFUND = text("SELECT * FROM pos_refund(:scope, :key, :fingerprint, :ttl, :terminal_id, :charge_id, :amount, "
                   ":now, :now_iso, :transaction_id, :transfer_id, :event_id)")


def refund_charge(terminal: Terminal, charge_id: str, *, amount: int,
                  idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (pos_refund): the charge locked, the remainder checked under the lock,
    the event, the transfer (the merchant's balance is ledger_post's to check, credit buckets
    included), the charge's total and the answer under the key."""
    now = clock.now()
    params = {"scope": idem and idem.scope, "key": idem and idem.key, "fingerprint": idem and idem.fingerprint,
              "ttl": timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"]), "terminal_id": terminal.id,
              "charge_id": charge_id, "amount": amount, "now": now, "now_iso": clock.iso(now),
              "transaction_id": new_id("txn"), "transfer_id": new_id("trf"), "event_id": new_id("msg")}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _POS_REFUND, params, REFUND_REFUSALS, set())
        return row.status, json.loads(row.body)

    result = run_in_database(idem, call)
    if result[0] == 201:
        publish(charge_id)  # after the commit: a customer's app or a second till may be following it
    return result

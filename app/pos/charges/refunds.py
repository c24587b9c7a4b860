"""Giving money back for a terminal's charge: a reversal, or refunds.

A reversal undoes a charge whose outcome the terminal never learned (the network dropped the
answer): allowed for REVERSAL_WINDOW seconds, idempotent, and it returns whatever has not been
refunded yet. A refund is the till's ordinary "give back", partial or full, at any time.

Each is one call to the one database function for both, pos_give_back (pos_refund.sql): a
refund passes its amount, a reversal its window. It locks the charge row FOR UPDATE before the
terminal and the accounts (the order every charge use case takes), so a reversal and refunds of
one charge queue and each sees what the one before it took; the CHECK constraint
refunded_amount <= captured_amount is the backstop should the code ever get this wrong.
"""
from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import text

from app.core import clock
from app.core.errors import Code
from app.core.idempotency import IdempotencyRequest, claim_params, run_in_database
from app.core.ids import new_id
from app.pos.charges.services import publish
from app.pos.terminals.models import Terminal
from app.wallet import ledger


# What a reversal (pos_give_back) may refuse; all after the key is claimed, so stored under it.
REVERSAL_REFUSALS: ledger.Refusals = {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "charge_not_found": (Code.NOT_FOUND, "charge not found", None),
    "reversal_window_closed": (Code.REVERSAL_WINDOW_CLOSED, "a charge can be reversed for {reversal_window} s; "
                               "refund it instead", ledger.AS_RAISED),
}
# A refund's amount or a reversal's window, the other NULL: that is how the function tells them apart.
_POS_GIVE_BACK = text("SELECT * FROM pos_give_back(:scope, :key, :fingerprint, :ttl, :terminal_id, :charge_id, "
                      ":amount, :window, :now, :now_iso, :transaction_id, :transfer_id, :event_id)")


def reverse_charge(terminal: Terminal, charge_id: str, *, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """succeeded -> the unrefunded amount goes back; requires_confirmation -> it can no longer be
    approved; anything else (failed, declined, expired, reversed) is answered as it is. One
    database call (pos_give_back), locking as a refund does: the charge, the terminal, the accounts."""
    return _give_back(terminal, charge_id, REVERSAL_REFUSALS, idem, amount=None,
                      window=current_app.config["REVERSAL_WINDOW"])


def _give_back(terminal: Terminal, charge_id: str, refusals: ledger.Refusals,
               idem: IdempotencyRequest | None, *, amount: int | None, window: int | None) -> tuple[int, dict]:
    """A reversal's or a refund's one call, and the wake-up of whoever follows the charge (a
    customer's app, a second till) after the commit, never before."""
    now = clock.now()
    params = {**claim_params(idem), "terminal_id": terminal.id, "charge_id": charge_id, "now": now,
              "now_iso": clock.iso(now), "transaction_id": new_id("txn"), "transfer_id": new_id("trf"),
              "event_id": new_id("msg"), "amount": amount, "window": window}

    def call(connection) -> tuple[int, dict]:
        row = ledger.call_payment(connection, _POS_GIVE_BACK, params, refusals, set())
        return row.status, json.loads(row.body)

    result = run_in_database(idem, call)
    if result[0] in (200, 201):
        publish(charge_id)
    return result


# What a refund (pos_give_back) may refuse; all after the key is claimed, so stored under it.
REFUND_REFUSALS: ledger.Refusals = {
    "idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT, "this Idempotency-Key was used with a different request", None),
    "charge_not_found": (Code.NOT_FOUND, "charge not found", None),
    "not_refundable": (Code.NOT_REFUNDABLE, "a {status} charge cannot be refunded", ledger.AS_RAISED),
    "exceeds_remaining": (Code.REFUND_EXCEEDS_REMAINING, "only {remaining} of this charge is left to refund",
                          ledger.AS_RAISED),
}

def refund_charge(terminal: Terminal, charge_id: str, *, amount: int,
                  idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """One database call (pos_give_back): the charge locked, the remainder checked under the lock,
    the event, the transfer (the merchant's balance is ledger_post's to check, credit buckets
    included), the charge's total and the answer under the key."""
    return _give_back(terminal, charge_id, REFUND_REFUSALS, idem, amount=amount, window=None)

"""A terminal's hold released by expiry tells the merchant (authorization.expired).

The expiry sweeper (`flask ledger expire-holds`, app.wallet.holds.expire_due) knows holds, not
terminals: it announces app.wallet.events.hold_expired inside the unit of work that releases the
hold, and this listener (wired in create_app) writes the event into the outbox in that same
transaction. So the event exists exactly when the release committed, and once per hold.

A hold is a vending machine's authorization or a terminal's manual-capture payment request;
both name their terminal on the hold's transaction, which narrows the look-up to that terminal's
rows (terminal_id is indexed). Nothing is locked here: the sweeper already holds the accounts'
locks, and a capture takes the terminal's row first and the accounts second, so locking the row
now would be the opposite order.
"""
from __future__ import annotations

from app.pos.payment_requests import services as payment_requests
from app.pos.vending import services as vending
from app.wallet.models import Transaction


def tell_merchant(txn: Transaction, **_) -> None:
    if txn.terminal_id is None:
        return  # not a terminal's hold
    if not vending.announce_expiry(txn):
        payment_requests.announce_expiry(txn)

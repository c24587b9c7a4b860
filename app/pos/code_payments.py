"""A terminal's payment of a scanned consumer code in one database call: a till's charge
(pos_charge, app/pos/charges/pos_charge.sql) or a vending hold (vending_authorize,
app/pos/vending/vending_authorize.sql).

What both do around the call, in Python: the terminal's failed-code lock (429, nothing recorded),
the code's TOTP (app.qr.devices.scanning: the seed is decrypted here, never in the database) and
the payer's PIN lock, both read from the store. The call then claims the Idempotency-Key, takes
the code, checks and posts, records a refusal as a failed charge, and stores the answer, in one
round trip. A retry with the key is answered by the call itself (it waits on the key's unique
index while the first is in flight), so it never takes the code a second time. Deadlocks and
serialization failures are retried around the call (app.core.uow.retrying).
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.sql.elements import TextClause

from app.auth.services.pin import refuse_if_pin_locked
from app.core import clock
from app.core.driver_call import execute_one
from app.core.errors import AppError, Code
from app.core.idempotency import CallerRefused, IdempotencyRequest, claim_params, note_replay
from app.core.ids import new_id
from app.core.request_ids import carrying_request_id, request_id_param
from app.core.uow import retrying, single_statement
from app.pos.terminals.models import Terminal
from app.qr.devices import scanning

Result = tuple[int, dict]
# The message of each code a function may record (the code itself is the failure_code); the
# function picks one, so the text stays here, in one place.
# ledger_post's other refusals (conflict, not_found) cannot happen to a charge: the function
# checked the currency, and a merchant account takes any credit.
MESSAGES = {**scanning.CODE_REFUSALS,
            "pin_locked": "too many wrong PINs; payments are locked for a while",
            "insufficient_funds": "not enough money in the wallet",
            # A freeze (lost phone, fraud): the till says so plainly; why, and until when, is the customer's.
            "payer_frozen": "the customer's wallet is frozen",
            # The till learns only that a tier limit stopped it: which one, and what is left, is the customer's.
            "limit_exceeded": "the payment would pass a limit of the customer's tier"}
# Refused before the key is claimed: (code, message, whether the function's details go along).
# Not stored under the key (as run_once does not store what a service refuses before it runs).
BeforeKey = dict[str, tuple[Code, str, bool]]
CONFLICT = {"idempotency_conflict": (Code.IDEMPOTENCY_CONFLICT,
                                     "this Idempotency-Key was used with a different request", False),
            # The merchant's own largest charge (app/merchant/sql/merchant_limits.sql): the till's to see.
            "merchant_limit": (Code.LIMIT_EXCEEDED, "this is above the largest charge the merchant allows", True)}


def pay_by_code(terminal: Terminal, statement: TextClause, *, payment_code: str, amount: int,
                currency: str | None, reference: str | None, idem: IdempotencyRequest | None,
                expires_in: int, id_prefix: str, before_key: BeforeKey, messages: dict[str, str],
                **extra) -> Result:
    """Run `statement` (pos_charge or vending_authorize) for a scanned code; its answer, a
    recorded refusal's 402 answer, or a CallerRefused for a refusal before the key."""
    scanning.refuse_if_locked(terminal.id)  # the terminal is shut out: nothing presented, nothing recorded
    scanned = scanning.verify_payment_code(payment_code)
    pin_locked = False
    if scanned.refusal is None:
        try:
            refuse_if_pin_locked(scanned.user_id)
        except AppError:
            pin_locked = True
    now = clock.now()
    expires_at = now + timedelta(seconds=expires_in)
    params = {**claim_params(idem), "terminal_id": terminal.id, "merchant_id": terminal.merchant_id,
              "device_id": scanned.device_id,
              "step": scanned.step, "slot": scanned.slot, "code_refusal": scanned.refusal,
              "pin_locked": pin_locked, "amount": amount, "currency": currency, "reference": reference,
              "expires_at": expires_at, "expires_iso": clock.iso(expires_at),
              "messages": json.dumps({**MESSAGES, **messages}), "now": now, "now_iso": clock.iso(now),
              "charge_id": new_id(id_prefix), "transaction_id": new_id("txn"), "transfer_id": new_id("trf"),
              **extra, **request_id_param()}
    statement = carrying_request_id(statement)  # its events name the request (app.core.request_ids)
    refusals = {**CONFLICT, **before_key}

    def attempt():
        with single_statement() as connection:  # autocommit: the one statement is the transaction
            return execute_one(connection, statement, params)

    row = retrying(attempt)
    if row.status is None:
        code, message, with_details = refusals[row.refusal]
        found = dict(getattr(row, "details", None) or {})
        raise CallerRefused(code, message.format_map(found), found if with_details else {})
    if row.refusal in scanning.CODE_REFUSALS:
        scanning.count_failure(terminal.id)  # a wrong, stale or used code counts as a guess
    if row.replayed:  # the answer stored under the key, given again
        note_replay()
    return row.status, json.loads(row.body)

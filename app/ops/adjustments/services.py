"""Adjustments: one finance operator proposes, a different one approves (then it is posted) or
rejects. The decision is one call to adjustment_decide (app/ops/sql/adjustment_decide.sql):
lock, checks, posting, marking and the audit record in one transaction.
"""
from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select, text, tuple_
from sqlalchemy.exc import DBAPIError

from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.pagination import decode_keyset, encode_keyset
from app.core.uow import retrying, single_statement, unit_of_work
from app.extensions import db
from app.ops.adjustments.models import Adjustment
from app.wallet import ledger
from app.wallet.models import Account

COUNTER_ACCOUNTS = {"suspense": "suspense", "revenue": "revenue"}  # body's counter -> system account code
_DECIDE = text("SELECT * FROM adjustment_decide(:id, :operator, :approve, :note, :ip, :now, :txn, :trf, :cap)")
_REFUSALS = {
    "not_found": (Code.NOT_FOUND, "adjustment not found"),
    "adjustment_not_pending": (Code.ADJUSTMENT_NOT_PENDING, "this adjustment was already decided"),
    "self_approval": (Code.SELF_APPROVAL, "a different operator must decide your proposal"),
}


def adjustment_out(a: Adjustment) -> dict:
    return {"id": a.id, "wallet_id": a.wallet_id, "user_id": a.user_id, "direction": a.direction,
            "counter": a.counter, "amount": a.amount, "currency": a.currency, "reason": a.reason,
            "reference": a.reference, "status": a.status, "proposed_by": a.proposed_by, "decided_by": a.decided_by,
            "decision_note": a.decision_note, "transaction_id": a.transaction_id,
            "created_at": clock.iso(a.created_at), "decided_at": clock.iso(a.decided_at)}


def propose(operator_id: str, *, wallet_id: str, direction: str, counter: str, amount: int, currency: str,
            reason: str, reference: str) -> dict:
    with unit_of_work() as uow:
        wallet = db.session.execute(select(Account).filter_by(id=wallet_id, kind="user")).scalar_one_or_none()
        if wallet is None:
            raise not_found("wallet")
        if wallet.currency != currency:
            raise AppError(Code.CURRENCY_NOT_SUPPORTED, f"this wallet holds {wallet.currency}, not {currency}",
                           {"held": wallet.currency})
        other = ledger.system_account(COUNTER_ACCOUNTS[counter], currency)
        adjustment = Adjustment(id=new_id("adj"), wallet_id=wallet.id, user_id=wallet.user_id, direction=direction,
                                counter=counter, counter_account_id=other.id, amount=amount, currency=currency,
                                reason=reason, reference=reference, status="pending", proposed_by=operator_id,
                                created_at=clock.now())
        db.session.add(adjustment)
        audit.record("operator", operator_id, "adjustment.propose", "adjustment", adjustment.id,
                     after={"status": "pending", "wallet_id": wallet.id, "direction": direction, "counter": counter,
                            "amount": amount, "currency": currency, "reference": reference}, reason=reason)
        uow.commit()
        return adjustment_out(adjustment)


def decide(operator_id: str, adjustment_id: str, *, approve: bool, note: str | None) -> dict:
    def once():
        with single_statement() as connection:
            connection.execute(_DECIDE, {
                "id": adjustment_id, "operator": operator_id, "approve": approve, "note": note,
                "ip": audit.client_address(), "now": clock.now(), "txn": new_id("txn"), "trf": new_id("trf"),
                "cap": current_app.config["MAX_WALLET_BALANCE"]}).one()

    try:
        retrying(once)
    except DBAPIError as exc:
        raise _refusal(exc) from None
    return get_adjustment(adjustment_id)


def _refusal(exc: DBAPIError) -> Exception:
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and exc.orig.sqlstate == "P0001" and diag.message_primary in _REFUSALS:
        code, message = _REFUSALS[diag.message_primary]
        return AppError(code, message, json.loads(diag.message_detail or "{}"))
    return ledger.refusal(exc)  # insufficient_funds, balance_limit_exceeded: the proposal stays pending


def get_adjustment(adjustment_id: str) -> dict:
    found = db.session.get(Adjustment, adjustment_id, populate_existing=True)
    if found is None:
        raise not_found("adjustment")
    return adjustment_out(found)


def list_adjustments(*, status: str | None, wallet_id: str | None, cursor: str | None, limit: int) -> dict:
    stmt = select(Adjustment).order_by(Adjustment.created_at.desc(), Adjustment.id.desc()).limit(limit + 1)
    if status:
        stmt = stmt.where(Adjustment.status == status)
    if wallet_id:
        stmt = stmt.where(Adjustment.wallet_id == wallet_id)
    if cursor:
        stmt = stmt.where(tuple_(Adjustment.created_at, Adjustment.id) < decode_keyset(cursor))
    rows = list(db.session.execute(stmt).scalars())
    page, more = rows[:limit], len(rows) > limit
    return {"data": [adjustment_out(a) for a in page], "has_more": more,
            "next_cursor": encode_keyset(page[-1].created_at, page[-1].id) if more else None}

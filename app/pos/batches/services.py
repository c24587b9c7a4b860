"""Batches (a terminal's sales and refunds between two closes) and a merchant's daily settlement.

Both are read from the ledger, never from counters kept on the side: a transaction counts for
the terminal whose id it carries, in the window its money moved.
    sales    payments that succeeded, and the captured part of holds
    refunds  refunds that succeeded
    gross    sales - refunds
    fees     the merchant's fees on those sales (fee lines, app/wallet/sql/fees.sql), less what
             refunds and reversals gave back of them
    net      gross - fees: what the merchant keeps; count = number of sales + refunds
A reversed payment is in neither (see _payments and _reversals). A hold counts when it is captured (its post_pending
transfer's time), not when it was authorized: an authorization is not yet a sale.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.core import clock
from app.core.idempotency import IdempotencyRequest, run_once
from app.core.ids import new_id
from app.extensions import db
from app.merchant.events import emit
from app.merchant.models import Merchant
from app.merchant.services import staff_merchant
from app.pos.batches.models import Batch
from app.pos.offline import reconcile as offline
from app.pos.terminals.models import Terminal
from app.wallet.models import Transaction, Transfer

# {terminal_id: {currency: {"sales", "refunds", "count"}}}
Sums = dict[str, dict[str, dict[str, int]]]


def _empty() -> dict[str, int]:
    return {"sales": 0, "refunds": 0, "fees": 0, "count": 0}


def _payments(terminal_ids: list[str], start: datetime, end: datetime):
    """(terminal, currency, amount, count): succeeded payments. One reversed before the close
    is not in `count`; its amount is, and _reversals takes off what the reversal gave back."""
    reversal = aliased(Transaction)
    reversed_ = select(reversal.id).where(reversal.related_id == Transaction.id, reversal.type == "reversal",
                                          reversal.created_at < end).exists()
    return db.session.execute(
        select(Transaction.terminal_id, Transaction.currency, func.sum(Transaction.amount),
               func.sum(case((reversed_, 0), else_=1)))
        .where(Transaction.terminal_id.in_(terminal_ids), Transaction.type == "payment",
               Transaction.status == "succeeded", Transaction.created_at >= start, Transaction.created_at < end)
        .group_by(Transaction.terminal_id, Transaction.currency))


def _reversals(terminal_ids: list[str], start: datetime, end: datetime):
    """(terminal, currency, amount): money a reversal gave back for a payment still marked
    succeeded (app.pos.charges.refunds books a reversal as its own transaction). Taken off sales, so a
    payment reversed after a partial refund nets to zero; one whose payment is marked
    "reversed" instead is left out, since that payment is not counted at all."""
    payment = aliased(Transaction)
    return db.session.execute(
        select(Transaction.terminal_id, Transaction.currency, func.sum(Transaction.amount))
        .join(payment, payment.id == Transaction.related_id)
        .where(Transaction.terminal_id.in_(terminal_ids), Transaction.type == "reversal",
               Transaction.status == "succeeded", payment.status != "reversed",
               Transaction.created_at >= start, Transaction.created_at < end)
        .group_by(Transaction.terminal_id, Transaction.currency))


def _refunds(terminal_ids: list[str], start: datetime, end: datetime):
    return db.session.execute(
        select(Transaction.terminal_id, Transaction.currency, func.sum(Transaction.amount), func.count())
        .where(Transaction.terminal_id.in_(terminal_ids), Transaction.type == "refund",
               Transaction.status == "succeeded", Transaction.created_at >= start, Transaction.created_at < end)
        .group_by(Transaction.terminal_id, Transaction.currency))


def _fees(terminal_ids: list[str], start: datetime, end: datetime):
    """(terminal, currency, amount): fee lines of the window (each carries its payment's terminal
    and the time it was charged: a capture's fee is charged at the capture), less fees returned."""
    signed = case((Transaction.type == "fee_return", -Transaction.amount), else_=Transaction.amount)
    return db.session.execute(
        select(Transaction.terminal_id, Transaction.currency, func.sum(signed))
        .where(Transaction.terminal_id.in_(terminal_ids), Transaction.type.in_(("fee", "fee_return")),
               Transaction.created_at >= start, Transaction.created_at < end)
        .group_by(Transaction.terminal_id, Transaction.currency))


def _captures(terminal_ids: list[str], start: datetime, end: datetime):
    """(terminal, currency, amount, count): the captured part of holds, when it was captured."""
    return db.session.execute(
        select(Transaction.terminal_id, Transfer.currency, func.sum(Transfer.amount), func.count())
        .join(Transaction, Transaction.id == Transfer.transaction_id)
        .where(Transaction.terminal_id.in_(terminal_ids), Transaction.type == "hold",
               Transfer.kind == "post_pending", Transfer.created_at >= start, Transfer.created_at < end)
        .group_by(Transaction.terminal_id, Transfer.currency))


def _sums(terminal_ids: list[str], start: datetime, end: datetime) -> Sums:
    sums: Sums = defaultdict(lambda: defaultdict(_empty))
    for query, field in ((_payments, "sales"), (_captures, "sales"), (_refunds, "refunds")):
        for terminal_id, currency, total, count in query(terminal_ids, start, end):
            sums[terminal_id][currency][field] += int(total)
            sums[terminal_id][currency]["count"] += int(count)
    for terminal_id, currency, total in _reversals(terminal_ids, start, end):
        sums[terminal_id][currency]["sales"] -= int(total)
    for terminal_id, currency, total in _fees(terminal_ids, start, end):
        sums[terminal_id][currency]["fees"] += int(total)
    return sums


def _totals(per_currency: dict[str, dict[str, int]], currency: str) -> tuple[int, dict]:
    """(count, {currency: {sales, refunds, net}}), always with the merchant's currency, so an
    empty batch reads as zeros rather than as nothing."""
    rows = {currency: _empty(), **per_currency}
    totals = {cur: {"sales": r["sales"], "refunds": r["refunds"], "gross": r["sales"] - r["refunds"],
                    "fees": r["fees"], "net": r["sales"] - r["refunds"] - r["fees"]}
              for cur, r in sorted(rows.items())}
    return sum(r["count"] for r in rows.values()), totals


def batch_out(batch: Batch) -> dict:
    return {"id": batch.id, "terminal_id": batch.terminal_id, "opened_at": clock.as_utc(batch.opened_at).isoformat(),
            "closed_at": clock.as_utc(batch.closed_at).isoformat(), "count": batch.count,
            "totals": json.loads(batch.totals)}


def close_batch(terminal: Terminal, idem: IdempotencyRequest | None) -> tuple[int, dict]:
    """Close the terminal's open batch and open the next at the same instant (no gap, no overlap)."""
    def work() -> tuple[int, dict]:
        # FOR UPDATE: two closes queue, and captures in flight (which hold KEY SHARE on this
        # row, see app.pos.vending.services) finish first, so `now` is after everything we count.
        locked = db.session.execute(select(Terminal).where(Terminal.id == terminal.id).with_for_update()
                                    .execution_options(populate_existing=True)).scalar_one()
        opened_at, closed_at = clock.as_utc(locked.batch_opened_at), clock.now()
        currency = db.session.get(Merchant, locked.merchant_id).currency
        sums = _sums([locked.id], opened_at, closed_at)
        count, totals = _totals(sums.get(locked.id, {}), currency)
        batch = Batch(id=new_id("bat"), terminal_id=locked.id, opened_at=opened_at, closed_at=closed_at,
                      count=count, totals=json.dumps(totals))
        db.session.add(batch)
        locked.batch_opened_at = closed_at
        out = batch_out(batch)
        emit(locked.merchant_id, "batch.closed", {"batch_id": batch.id, "merchant_id": locked.merchant_id, **out})
        return 201, out | {"offline": offline.summary(locked.id)}
    return run_once(idem, work)


def settlement(user: User, merchant_id: str, day: date | None) -> dict:
    """All the merchant's terminals over one UTC day, with each terminal's part. Staff only."""
    merchant = staff_merchant(user, merchant_id)
    day = day or clock.now().date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    terminals = db.session.execute(select(Terminal).filter_by(merchant_id=merchant.id)
                                   .order_by(Terminal.created_at, Terminal.id)).scalars().all()
    sums = _sums([t.id for t in terminals], start, end) if terminals else {}
    overall: dict[str, dict[str, int]] = defaultdict(_empty)
    parts = []
    for terminal in terminals:
        mine = sums.get(terminal.id, {})
        for currency, row in mine.items():
            for field in ("sales", "refunds", "fees", "count"):
                overall[currency][field] += row[field]
        count, totals = _totals(mine, merchant.currency)
        parts.append({"terminal_id": terminal.id, "label": terminal.label, "count": count, "totals": totals})
    count, totals = _totals(overall, merchant.currency)
    return {"merchant_id": merchant.id, "date": day.isoformat(), "opened_at": start.isoformat(),
            "closed_at": end.isoformat(), "count": count, "totals": totals, "terminals": parts}


def hold_batch_open(terminal_id: str) -> None:
    """Inside a unit of work that books a sale or refund for a terminal: KEY SHARE on its row.

    Closing a batch locks the row FOR UPDATE, so a close waits for bookings in flight and a
    booking that starts after the close lands in the next batch; otherwise one committed just
    after a close, stamped just before it, would be in no batch. KEY SHARE locks do not block
    each other, so a terminal's payments do not queue behind one another here.
    """
    db.session.execute(select(Terminal.id).where(Terminal.id == terminal_id)
                       .with_for_update(key_share=True, read=True))

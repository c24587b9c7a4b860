"""`flask ledger verify`: recompute the hash chains and every balance from the journal.

Checks, reading everything and trusting nothing derived:
  1. each transfer's hash matches its fields and the previous hashes of its two accounts;
  2. each account's entries run 1..n, each pointing at the hash before it, and the balance after
     each entry is the running balance implied by the transfers themselves;
  3. each account's stored totals, entry count and last hash equal the recomputed ones, and no
     no-overdraft account is overdrawn;
  4. per currency, posted and pending debits equal posted and pending credits (the sum is zero);
  5. a pending transfer is resolved at most once, and never for more than it held.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, text
from sqlalchemy.orm import aliased

from app.core.uow import end_read
from app.extensions import db
from app.wallet import rules
from app.wallet.models import GENESIS_HASH, Account, Entry, Transfer


def _one_snapshot() -> None:
    """Read everything as of one moment. Payments go on while verify runs (a nightly cron job):
    under READ COMMITTED each of the queries below would see a different moment, and a transfer
    committed between them would look like a broken chain (the bank test caught exactly that)."""
    end_read()
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    db.session.execute(text("SET TRANSACTION READ ONLY"))


def verify_ledger() -> list[str]:
    _one_snapshot()
    try:
        return _verify()
    finally:
        end_read()  # end the snapshot; nothing was written


def _verify() -> list[str]:
    problems: list[str] = []
    session = db.session
    debit_entry, credit_entry = aliased(Entry), aliased(Entry)
    pending_amounts = dict(session.execute(select(Transfer.id, Transfer.amount).where(Transfer.kind == "pending")).all())
    transfer_count = 0
    hashes: dict[str, str] = {}
    effects: dict[str, tuple] = {}
    resolved: set[str] = set()
    for t, d_prev, c_prev in session.execute(
            select(Transfer, debit_entry.prev_hash, credit_entry.prev_hash)
            .outerjoin(debit_entry, (debit_entry.transfer_id == Transfer.id) & (debit_entry.account_id == Transfer.debit_account_id))
            .outerjoin(credit_entry, (credit_entry.transfer_id == Transfer.id) & (credit_entry.account_id == Transfer.credit_account_id))
    ).yield_per(2000):
        transfer_count += 1
        if d_prev is None or c_prev is None:
            problems.append(f"transfer {t.id}: missing entry")
            continue
        expected = rules.transfer_hash(id=t.id, transaction_id=t.transaction_id, kind=t.kind,
                                       debit_account_id=t.debit_account_id, credit_account_id=t.credit_account_id,
                                       amount=t.amount, currency=t.currency, pending_id=t.pending_id,
                                       created_at=t.created_at, debit_prev_hash=d_prev, credit_prev_hash=c_prev)
        if expected != t.hash:
            problems.append(f"transfer {t.id}: hash mismatch (fields or chain altered)")
        hashes[t.id] = t.hash
        released = 0
        if t.pending_id is not None:
            if t.pending_id in resolved or t.pending_id not in pending_amounts:
                problems.append(f"transfer {t.id}: resolves {t.pending_id} twice or a non-pending transfer")
            resolved.add(t.pending_id)
            released = pending_amounts.get(t.pending_id, 0)
        try:
            effects[t.id] = rules.effects(t.kind, t.amount, released)
        except ValueError as exc:
            problems.append(f"transfer {t.id}: {exc}")
            effects[t.id] = (rules.Balances(), rules.Balances())
        effects[t.id] += (t.debit_account_id,)
    _verify_accounts(problems, hashes, effects)
    return problems


def _verify_accounts(problems: list[str], hashes: dict, effects: dict) -> None:
    totals: dict[str, rules.Balances] = defaultdict(rules.Balances)
    accounts = {a.id: a for a in db.session.execute(select(Account)).scalars()}
    state = {aid: (rules.Balances(), 0, GENESIS_HASH) for aid in accounts}
    for e in db.session.execute(select(Entry).order_by(Entry.account_id, Entry.seq)).scalars().yield_per(5000):
        running, seq, last = state.get(e.account_id, (rules.Balances(), 0, GENESIS_HASH))
        if e.seq != seq + 1:
            problems.append(f"account {e.account_id}: entry {e.seq} follows {seq}")
        if e.prev_hash != last:
            problems.append(f"account {e.account_id}: entry {e.seq} breaks the hash chain")
        debit_effect, credit_effect, debit_id = effects.get(e.transfer_id, (rules.Balances(), rules.Balances(), None))
        running = running.plus(debit_effect if debit_id == e.account_id else credit_effect)
        if e.balance_after != running.balance:
            problems.append(f"account {e.account_id}: entry {e.seq} balance_after {e.balance_after} != {running.balance}")
        state[e.account_id] = (running, e.seq, hashes.get(e.transfer_id, "?"))
    for aid, account in accounts.items():
        running, seq, last = state[aid]
        stored = rules.Balances(account.debits_posted, account.credits_posted,
                                account.debits_pending, account.credits_pending)
        if stored != running:
            problems.append(f"account {aid}: stored totals {stored} != journal {running}")
        if account.entry_count != seq or account.last_hash != last:
            problems.append(f"account {aid}: entry count or last hash does not match its entries")
        if not stored.valid(account.no_overdraft):
            problems.append(f"account {aid}: overdrawn or negative totals")
        totals[account.currency] = totals[account.currency].plus(stored)
    for currency, t in totals.items():
        if t.debits_posted != t.credits_posted or t.debits_pending != t.credits_pending:
            problems.append(f"currency {currency}: debits and credits do not balance ({t})")

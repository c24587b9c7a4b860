"""The ledger's verify status on a user's page: that user's own wallets, checked link by link.

Why not the whole ledger: `flask ledger verify` reads every transfer and entry (minutes on a big
ledger, and a nightly job's work), and nothing records its last result for a page to show. A
user's own chains are what an operator looking at one user needs, and cost what that user's
history costs: for each wallet, in one REPEATABLE READ snapshot (payments go on meanwhile),
  - its entries run 1..n, each naming the hash of the transfer before it (the chain);
  - each transfer's hash recomputes from its fields and both accounts' previous hashes (the other
    side's is read from that account's entry, so an edit on either side shows);
  - the running balance after each entry, and the final totals, entry count and last hash, equal
    what the account row stores.
The same rules (app.wallet.rules) as the full verify; the problems are worded as it words them.
"""
from __future__ import annotations

from sqlalchemy import and_, select, text
from sqlalchemy.orm import aliased

from app.core import clock
from app.core.errors import not_found
from app.core.uow import end_read
from app.extensions import db
from app.auth.models import User
from app.wallet import rules
from app.wallet.models import GENESIS_HASH, Account, Entry, Transfer


def verify_user(user_id: str) -> dict:
    end_read()
    db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    db.session.execute(text("SET TRANSACTION READ ONLY"))
    try:
        if db.session.get(User, user_id) is None:
            raise not_found("user")
        wallets = db.session.execute(select(Account).filter_by(user_id=user_id, kind="user")
                                     .order_by(Account.id)).scalars().all()
        problems: list[str] = []
        checks = []
        for wallet in wallets:
            found = _verify_account(wallet)
            checks.append({"wallet_id": wallet.id, "entries": wallet.entry_count, "ok": not found})
            problems += found
        return {"ok": not problems, "checked_at": clock.iso(clock.now()), "wallets": checks, "problems": problems}
    finally:
        end_read()


def _verify_account(account: Account) -> list[str]:
    problems: list[str] = []
    other = aliased(Entry)
    pending = aliased(Transfer)
    # Plain columns, not ORM objects: nothing to track, and several times cheaper per row.
    rows = db.session.execute(
        select(Entry.seq, Entry.prev_hash, Entry.balance_after, Transfer.id, Transfer.transaction_id, Transfer.kind,
               Transfer.debit_account_id, Transfer.credit_account_id, Transfer.amount, Transfer.currency,
               Transfer.pending_id, Transfer.created_at, Transfer.hash, other.prev_hash.label("other_prev"),
               pending.amount.label("released"))
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .outerjoin(other, and_(other.transfer_id == Transfer.id, other.account_id != account.id))
        .outerjoin(pending, pending.id == Transfer.pending_id)
        .where(Entry.account_id == account.id).order_by(Entry.seq)).all()
    running, seq, last = rules.Balances(), 0, GENESIS_HASH
    for r in rows:
        where = f"account {account.id}: entry {r.seq}"
        if r.seq != seq + 1:
            problems.append(f"{where} follows {seq}")
        if r.prev_hash != last:
            problems.append(f"{where} breaks the hash chain")
        if r.other_prev is None:
            problems.append(f"transfer {r.id}: missing entry")
        else:
            mine_is_debit = r.debit_account_id == account.id
            expected = rules.transfer_hash(
                id=r.id, transaction_id=r.transaction_id, kind=r.kind, debit_account_id=r.debit_account_id,
                credit_account_id=r.credit_account_id, amount=r.amount, currency=r.currency,
                pending_id=r.pending_id, created_at=r.created_at,
                debit_prev_hash=r.prev_hash if mine_is_debit else r.other_prev,
                credit_prev_hash=r.other_prev if mine_is_debit else r.prev_hash)
            if expected != r.hash:
                problems.append(f"transfer {r.id}: hash mismatch (fields or chain altered)")
        try:
            debit_effect, credit_effect = rules.effects(r.kind, r.amount, r.released or 0)
        except ValueError as exc:
            problems.append(f"transfer {r.id}: {exc}")
            debit_effect = credit_effect = rules.Balances()
        running = running.plus(debit_effect if r.debit_account_id == account.id else credit_effect)
        if r.balance_after != running.balance:
            problems.append(f"{where} balance_after {r.balance_after} != {running.balance}")
        seq, last = r.seq, r.hash
    stored = rules.Balances(account.debits_posted, account.credits_posted, account.debits_pending,
                            account.credits_pending)
    if stored != running:
        problems.append(f"account {account.id}: stored totals {stored} != journal {running}")
    if account.entry_count != seq or account.last_hash != last:
        problems.append(f"account {account.id}: entry count or last hash does not match its entries")
    if not stored.valid(account.no_overdraft):
        problems.append(f"account {account.id}: overdrawn or negative totals")
    return problems

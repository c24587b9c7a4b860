"""The ledger's balance rules, pure: no Flask, no database. Shared by the service, `ledger verify`
and the property tests, so all three agree on what a transfer does to an account.

Two-phase transfers as in TigerBeetle:
  posted        debit.debits_posted += a             credit.credits_posted += a
  pending       debit.debits_pending += a            credit.credits_pending += a
  post_pending  releases the pending amount p and posts a <= p (partial capture)
  void_pending  releases the pending amount p, posts nothing (also used for expiry)
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

KINDS = ("posted", "pending", "post_pending", "void_pending")


@dataclass(frozen=True)
class Balances:
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def plus(self, other: "Balances") -> "Balances":
        return Balances(self.debits_posted + other.debits_posted, self.credits_posted + other.credits_posted,
                        self.debits_pending + other.debits_pending, self.credits_pending + other.credits_pending)

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    def valid(self, no_overdraft: bool) -> bool:
        if min(self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending) < 0:
            return False
        return not no_overdraft or self.debits_posted + self.debits_pending <= self.credits_posted


def effects(kind: str, amount: int, released: int = 0) -> tuple[Balances, Balances]:
    """(change to the debit account, change to the credit account) of one transfer.

    `released` is the pending amount a post_pending or void_pending resolves.
    """
    if kind == "posted":
        return Balances(debits_posted=amount), Balances(credits_posted=amount)
    if kind == "pending":
        return Balances(debits_pending=amount), Balances(credits_pending=amount)
    if kind == "post_pending":
        if not 0 <= amount <= released:
            raise ValueError("a post may not exceed the pending amount")
        return (Balances(debits_posted=amount, debits_pending=-released),
                Balances(credits_posted=amount, credits_pending=-released))
    if kind == "void_pending":
        return Balances(debits_pending=-released), Balances(credits_pending=-released)
    raise ValueError(f"unknown transfer kind {kind!r}")


def signed_amount(kind: str, amount: int, side: str) -> int:
    """What one account's history shows for a transfer: negative on the debit side."""
    shown = 0 if kind == "void_pending" else amount
    return -shown if side == "debit" else shown


def canonical_time(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def transfer_hash(*, id: str, transaction_id: str, kind: str, debit_account_id: str, credit_account_id: str,
                  amount: int, currency: str, pending_id: str | None, created_at: datetime,
                  debit_prev_hash: str, credit_prev_hash: str) -> str:
    """SHA-256 over the transfer's fields and the previous hash of each of its two accounts.

    The chain is per account rather than global: a global chain would make every payment in
    the system wait for one lock. Any edited, inserted or deleted transfer still breaks the
    chain of both accounts it touches.
    """
    fields = [id, transaction_id, kind, debit_account_id, credit_account_id, str(amount), currency,
              pending_id or "", canonical_time(created_at), debit_prev_hash, credit_prev_hash]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()

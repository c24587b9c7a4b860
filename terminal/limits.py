"""The offline limits a terminal enforces while it has no network (from /pos/config "offline").

The server checks them again on upload and reports breaches, but only the terminal can stop a
sale before it happens: it refuses a sale above max_sale, one that would take the outage's
count above max_count or its total above max_total, and every sale once max_hours have passed
since it went offline (then it must reconnect and upload first).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_sale: int
    max_total: int
    max_count: int
    max_hours: int

    @classmethod
    def from_config(cls, config: dict) -> "Limits":
        limits = config["offline"]["limits"]
        return cls(limits["max_sale"], limits["max_total"], limits["max_count"], limits["max_hours"])

    def refusal(self, amount: int, *, sold: list[dict], offline_since: int, now: int) -> str | None:
        """None if the sale may go ahead, else which limit stops it. `sold`: this outage's sales."""
        if amount > self.max_sale:
            return "max_sale"
        if len(sold) + 1 > self.max_count:
            return "max_count"
        if sum(s["amount"] for s in sold) + amount > self.max_total:
            return "max_total"
        if now - offline_since > self.max_hours * 3600:
            return "max_hours"
        return None

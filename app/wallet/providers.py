"""Where top-up money comes from. The ledger only sees the result: approved or declined.

A real card processor is another class with the same `charge` method, chosen by TOPUP_PROVIDER.
A real one should be called with the idempotency key so a retried top-up is charged once.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import AppError, Code


@dataclass(frozen=True)
class Charge:
    provider: str
    reference: str


class SandboxProvider:
    """Test tokens in the style of the big card processors' sandboxes."""
    name = "sandbox"
    _DECLINES = {
        "tok_chargeDeclined": (Code.CARD_DECLINED, "the card was declined"),
        "tok_insufficientFunds": (Code.INSUFFICIENT_FUNDS, "the card has insufficient funds"),
    }

    def charge(self, *, source: str, amount: int, currency: str, idempotency_key: str | None) -> Charge:
        if source in self._DECLINES:
            code, message = self._DECLINES[source]
            raise AppError(code, message, {"source": source})
        if source != "tok_visa":
            raise AppError(Code.VALIDATION_ERROR, "unknown funding source; the sandbox takes tok_visa, "
                           "tok_chargeDeclined or tok_insufficientFunds",
                           {"fields": [{"field": "source", "message": "unknown funding source"}]})
        return Charge(provider=self.name, reference=f"sandbox:{currency}:{amount}")


PROVIDERS = {"sandbox": SandboxProvider}


def provider(name: str):
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise RuntimeError(f"TOPUP_PROVIDER {name!r} is not one of {sorted(PROVIDERS)}") from None

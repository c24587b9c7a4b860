"""The offline code a terminal makes by itself, and the check of the server's confirmation.

Keys (README, "Offline terminals"): key(purpose) = HMAC-SHA256(secret, "wallet/offline/v1/" +
purpose), purpose "code" or "confirmation". The code's MAC is the first 16 hex digits of
HMAC-SHA256(key(code), code message); the confirmation is 10 digits of
HMAC-SHA256(key(confirmation), confirmation message). Each message is its fields joined by "\\n".
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from terminal import emv

LABEL = "wallet/offline/v1/"
DIGITS = 10
MAX_ATTEMPTS = 5  # wrong confirmations per code before the code is void (README: the guessing odds)


@dataclass(frozen=True)
class Profile:
    """What the terminal keeps from GET /api/v1/pos/config's "offline" section."""
    terminal_id: str
    merchant_id: str
    guid: str
    merchant_name: str
    merchant_city: str
    country: str
    mcc: str
    currency: str
    currency_numeric: str
    exponent: int
    label: str

    @classmethod
    def from_config(cls, config: dict) -> "Profile":
        offline = config["offline"]
        return cls(terminal_id=config["terminal_id"], merchant_id=config["merchant_id"], label=config["label"],
                   **{name: offline[name] for name in ("guid", "merchant_name", "merchant_city", "country", "mcc",
                                                       "currency", "currency_numeric", "exponent")})


@dataclass(frozen=True)
class Code:
    seq: int
    nonce: str
    issued_at: int
    amount: int
    currency: str
    reference: str
    payload: str


def derive_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), (LABEL + purpose).encode(), hashlib.sha256).digest()


def code_mac(secret: str, profile: Profile, seq: int, nonce: str, issued_at: int, amount: int, reference: str) -> str:
    message = "\n".join(["WOC1", profile.terminal_id, profile.merchant_id, str(seq), nonce, str(issued_at),
                         profile.currency, str(amount), reference])
    return hmac.new(derive_key(secret, "code"), message.encode(), hashlib.sha256).hexdigest()[:16]


def make_code(secret: str, profile: Profile, *, seq: int, amount: int, issued_at: int, reference: str = "",
              nonce: str | None = None) -> Code:
    """A dynamic EMV code for `amount`, made without the server. `seq` must already be stored
    (queue.Counter.take) so that no two codes of this terminal ever share one."""
    nonce = nonce or secrets.token_hex(8)
    mac = code_mac(secret, profile, seq, nonce, issued_at, amount, reference)
    additional = [("05", reference)] if reference else []
    body = "".join([
        emv.field("00", "01"), emv.field("01", "12"),
        emv.template("26", [("00", profile.guid), ("01", profile.merchant_id), ("03", profile.terminal_id)]),
        emv.field("52", profile.mcc), emv.field("53", profile.currency_numeric),
        emv.field("54", emv.format_amount(amount, profile.exponent)),
        emv.field("58", profile.country), emv.field("59", profile.merchant_name), emv.field("60", profile.merchant_city),
        emv.template("62", [*additional, ("07", profile.label)]),
        emv.template("80", [("00", profile.guid), ("01", str(seq)), ("02", nonce), ("03", str(issued_at)), ("04", mac)]),
    ])
    return Code(seq=seq, nonce=nonce, issued_at=issued_at, amount=amount, currency=profile.currency,
                reference=reference, payload=emv.with_crc(body))


def expected_confirmation(secret: str, terminal_id: str, code: Code) -> str:
    message = "\n".join(["WCF1", terminal_id, str(code.seq), code.nonce, code.currency, str(code.amount)])
    digest = hmac.new(derive_key(secret, "confirmation"), message.encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** DIGITS).zfill(DIGITS)


class ConfirmationCheck:
    """The confirmation of one code, typed or scanned, with at most MAX_ATTEMPTS wrong tries:
    after that the code is void and the sale must start again with a new code (a new seq)."""

    def __init__(self, secret: str, terminal_id: str, code: Code) -> None:
        self._expected = expected_confirmation(secret, terminal_id, code)
        self.terminal_id, self.code, self.wrong = terminal_id, code, 0

    @property
    def expected(self) -> str:
        """The digits this terminal expects (it keeps them in its sale record for the upload)."""
        return self._expected

    @property
    def void(self) -> bool:
        return self.wrong >= MAX_ATTEMPTS

    def check(self, entered: str) -> tuple[bool, str | None]:
        """(accepted, payment id if it came in the scanned form). Digits or WCF1:<t>:<seq>:<digits>:<payment>."""
        if self.void:
            return False, None
        digits, payment_id = entered.strip(), None
        if digits.startswith("WCF1:"):
            parts = digits.split(":")
            ok = len(parts) == 5 and parts[1] == self.terminal_id and parts[2] == str(self.code.seq)
            digits, payment_id = (parts[3], parts[4]) if ok else ("", None)
        if hmac.compare_digest(digits.encode(), self._expected.encode()):
            return True, payment_id
        self.wrong += 1
        return False, None

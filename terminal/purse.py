"""Both offline (case 3): the terminal checks a phone's payment token against its purse
certificate, with no network, and keeps it for upload.

Ed25519 needs a library: this module (only this one) uses `cryptography`'s verifier, a
maintained, constant-time implementation, rather than a vendored pure-Python one that firmware
authors would copy with its pitfalls. Firmware uses its platform's Ed25519 (libsodium, Monocypher,
the secure element's); the bytes it checks are the README's, built here independently of app/:

    certificate message  "WPC1" purse_id device_key currency allowance max_payment valid_until kid
    token message        "WPT1" purse_id counter terminal_id nonce amount currency time
(each joined by "\\n"; keys and signatures unpadded base64url, a public key its raw 32 bytes)

What the terminal checks before it hands over the goods, in this order, each a stable reason:
unknown_issuer_key, tampered (either signature), revoked (the /pos/config list), expired,
wrong_terminal / wrong_request (the token names another till or another nonce: a replayed
screenshot), foreign_currency, above_cap; then PurseQueue.refusal: counter_seen (the counter is
the purse's sequence number, 1 for its first token and one more for each: an honest phone's
numbers only grow, so a number at or below the highest this terminal has taken from that purse
is a reused or reset counter), above_allowance (this terminal's tokens of that purse
would add up to more than its allowance). A phone that overspends across several terminals passes each alone; the server
finds it at upload, still pays, and the purse's owner owes the excess.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CERT_FIELDS = ("purse_id", "device_key", "currency", "allowance", "max_payment", "valid_until", "kid")
TOKEN_FIELDS = ("purse_id", "counter", "terminal_id", "nonce", "amount", "currency", "time")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def message(tag: str, fields: tuple[str, ...], values: dict) -> bytes:
    return "\n".join([tag, *(str(values[name]) for name in fields)]).encode()


def _verifies(key: str, data: bytes, signature: str) -> bool:
    try:
        raw_key, raw_signature = _unb64(key), _unb64(signature)
        if len(raw_key) != 32 or len(raw_signature) != 64:
            return False
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


def refusal(cert: dict, token: dict, *, issuer_keys: dict[str, str], revoked: set[str], terminal_id: str,
            nonce: str, currency: str, now: int) -> str | None:
    """None if the token may be accepted, else the reason. `issuer_keys`: kid -> public key, and
    `revoked`, both from the "purse" section of /pos/config; `nonce`: of the request shown."""
    key = issuer_keys.get(cert.get("kid"))
    if key is None:
        return "unknown_issuer_key"
    if not _verifies(key, message("WPC1", CERT_FIELDS, cert), cert.get("signature", "")):
        return "tampered"
    if token.get("purse_id") != cert["purse_id"] or not _verifies(
            cert["device_key"], message("WPT1", TOKEN_FIELDS, token), token.get("signature", "")):
        return "tampered"
    if cert["purse_id"] in revoked:
        return "revoked"
    if now > cert["valid_until"] or token["time"] > cert["valid_until"]:
        return "expired"
    if token["terminal_id"] != terminal_id:
        return "wrong_terminal"
    if token["nonce"] != nonce:
        return "wrong_request"
    if token["currency"] != currency or cert["currency"] != currency:
        return "foreign_currency"
    if token["amount"] > cert["max_payment"]:
        return "above_cap"
    return None


class PurseQueue:
    """Accepted tokens, one JSON line each, fsync'd before the goods are given (as SaleQueue).
    A counter already in the queue (or uploaded: kept in `seen`) is refused: the first line of
    defence against a reused counter; the server's check across terminals is the second."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.seen_path = self.path.with_suffix(".seen")

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # torn by a crash: never fsync'd, so never accepted
        return found

    def _seen(self) -> list[tuple[str, int]]:
        """("purse#counter", amount) of every token this terminal ever accepted (uploaded ones too)."""
        lines = self.seen_path.read_text(encoding="utf-8").splitlines() if self.seen_path.exists() else []
        return [(key, int(amount)) for key, _, amount in (line.partition(" ") for line in lines) if amount.isdigit()]

    def seen(self, purse_id: str, counter: int) -> bool:
        return any(key == f"{purse_id}#{counter}" for key, _ in self._seen())

    def highest(self, purse_id: str) -> int:
        """The purse's highest sequence number this terminal has taken (0: none)."""
        return max((int(key.rpartition("#")[2]) for key, _ in self._seen() if key.rpartition("#")[0] == purse_id),
                   default=0)

    def total(self, purse_id: str) -> int:
        """What this terminal accepted from the purse so far: it never takes more than the
        allowance from one purse, so one terminal alone is never overspent."""
        return sum(amount for key, amount in self._seen() if key.rpartition("#")[0] == purse_id)

    def refusal(self, cert: dict, token: dict) -> str | None:
        """The checks that need this terminal's memory (after module-level refusal())."""
        if token["counter"] <= self.highest(token["purse_id"]):
            return "counter_seen"  # the same number again, or an older one: a reset or copied phone
        if self.total(token["purse_id"]) + token["amount"] > cert["allowance"]:
            return "above_allowance"
        return None

    def accept(self, cert: dict, token: dict) -> None:
        record = {"kind": "purse", "certificate": cert, "token": token}
        for path, line in ((self.path, json.dumps(record, sort_keys=True, separators=(",", ":"))),
                           (self.seen_path, f"{token['purse_id']}#{token['counter']} {token['amount']}")):
            with open(path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())

    def remove(self, done: set[tuple[str, int]]) -> None:
        """Drop tokens the server answered (posted, duplicate or refused: resending changes nothing)."""
        keep = [r for r in self.records() if (r["token"]["purse_id"], r["token"]["counter"]) not in done]
        temp = self.path.with_suffix(".tmp")
        with open(temp, "w", encoding="utf-8") as out:
            out.write("".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in keep))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)

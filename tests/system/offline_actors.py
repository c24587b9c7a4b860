"""Who takes part in the bank test's outage mode: phones that pay terminals' offline codes online
(case 1) or sign purse tokens with nobody online (case 3), and terminals that sell through an
outage with the reference terminal (terminal/), its queues on disk, and upload when back.

The phone's purse side is the app's, built from the README as tests/support/purse.py builds it:
an Ed25519 key of its own, `POST /wallets/{id}/offline-purses` for the certificate, and tokens
signed over terminal.purse.message("WPT1", ...). The terminal's side is terminal/ alone:
OfflineTerminal (case 1, sales queue, reconnect), terminal.purse.refusal and PurseQueue (case 3).
A Cheat is a phone with an extracted key that spends its purse in full at two offline terminals.
What each side accepted is written down in Expected, which the checks hold the server to.
"""
from __future__ import annotations

import base64
import http.client
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from terminal.client import Client
from terminal.device import OfflineTerminal
from terminal.purse import TOKEN_FIELDS, PurseQueue, message, refusal
from tests.system.client import bearer, call_with_retries
from tests.system.world import tills_of

CUT = (OSError, http.client.HTTPException, json.JSONDecodeError)  # no answer: a killed worker, Redis away
BALANCE = 200_000  # each user's, from the seed
HONEST_PURSE = (3_000, 1_500)  # (allowance, max_payment)
CHEAT_PURSE = (2_000, 1_000)  # a cheat's: spent in full at two terminals
EXPIRING_PURSE = (3_000, 400)  # (allowance, max_payment) of a purse that expires in the run: ten or so tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Expected:
    """What the terminals accepted and the phones signed, as the clients saw it."""
    sales: list[dict] = field(default_factory=list)  # accepted: {"case", "terminal", "merchant", "amount", "key"}
    paid: dict[str, int] = field(default_factory=dict)  # wallet -> case-1 payments the phone got a 201 for
    signed: dict[str, int] = field(default_factory=dict)  # wallet -> every purse token its phone signed
    cheats: list[dict] = field(default_factory=list)  # {"purse", "wallet", "allowance", "drained", "kind"}
    expiring: list[dict] = field(default_factory=list)  # {"purse", "wallet", "valid_until", "first_hold"}: expiry.py
    tampered: list[tuple[str, str]] = field(default_factory=list)  # (terminal, expected refusal reason)
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # what the bank test's injector did
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def sold(self, case: int, till: "Till", amount: int, key: tuple) -> None:
        with self.lock:
            self.sales.append({"case": case, "terminal": till.id, "merchant": till.merchant_id,
                               "amount": amount, "key": key})

    def spend(self, book: str, wallet: str, amount: int) -> None:
        with self.lock:
            getattr(self, book)[wallet] = getattr(self, book).get(wallet, 0) + amount


class Phone:
    """A customer's phone: online it pays codes and takes purses; offline it signs tokens."""

    def __init__(self, user: dict, urls: list[str]):
        self.user, self.urls, self.lock = user, urls, threading.Lock()
        self.key, self.certificate, self.counter, self.left = Ed25519PrivateKey.generate(), None, 0, 0

    def call(self, method: str, path: str, body: dict | None, name: str, rng: random.Random):
        return call_with_retries(self.urls, method, path, body, headers_for=bearer(self.user["token"]),
                                 key=f"{name}-{rng.getrandbits(64):x}", cut_first=rng.random() < 0.1, rng=rng)

    def take_purse(self, allowance: int, max_payment: int, rng: random.Random) -> dict:
        public = _b64(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        outcome = self.call("POST", f"/api/v1/wallets/{self.user['wallet']}/offline-purses",
                            {"device_key": public, "allowance": allowance, "max_payment": max_payment,
                             "validity_days": 1}, "purse", rng)
        if outcome is None or outcome.status != 201:
            raise RuntimeError(f"purse refused: {outcome}")
        self.certificate, self.counter, self.left = outcome.body["certificate"], 0, allowance
        return outcome.body

    def sign(self, terminal_id: str, nonce: str, amount: int, currency: str, *, counter: int | None = None) -> dict:
        """The token the phone shows as a QR. `counter` set: a dishonest phone resetting it."""
        if counter is None:
            self.counter += 1
        token = {"purse_id": self.certificate["purse_id"], "counter": counter or self.counter,
                 "terminal_id": terminal_id, "nonce": nonce, "amount": amount, "currency": currency,
                 "time": int(time.time())}
        return token | {"signature": _b64(self.key.sign(message("WPT1", TOKEN_FIELDS, token)))}


class Till:
    """One terminal: terminal/'s OfflineTerminal for case 1 and a PurseQueue for case 3, both on
    disk under its own directory. Used by one thread only."""

    def __init__(self, seeded: dict, urls: list[str], directory: Path):
        directory.mkdir(parents=True)
        self.id, self.merchant_id, self.secret, self.urls = seeded["id"], seeded["merchant_id"], seeded["secret"], urls
        self.client = Client(urls[0], self.id, self.secret)
        self.device = OfflineTerminal(directory, self.client, self.secret)
        self.purses = PurseQueue(directory / "purse.jsonl")
        self.late = PurseQueue(directory / "late.jsonl")  # kept back until after the run (expiry.py)
        self.config: dict = {}
        self.refused: str | None = None  # why the last token was refused

    def fail_over(self) -> None:
        """No answer from this server: the next request goes to the other (a load balancer's job)."""
        self.urls = self.urls[1:] + self.urls[:1]
        self.client = self.device.client = Client(self.urls[0], self.id, self.secret)

    @property
    def currency(self) -> str:
        return self.config["offline"]["currency"]

    def sync(self) -> None:
        self.config = self.device.sync()

    def try_sync(self, tries: int) -> None:
        for _ in range(tries):
            try:
                return self.sync()
            except CUT:
                self.fail_over()
                time.sleep(1)
        raise ConnectionError(f"{self.id}: no server answered /pos/config")

    def accept_token(self, phone: Phone, amount: int, *, counter: int | None = None, late: bool = False) -> dict | None:
        """Case 3: the request (this terminal, a nonce), the phone's token, the terminal's checks;
        the token if the terminal accepted it (on disk; `late`: in the queue kept back), else None
        (the reason in `refused`)."""
        queue = self.late if late else self.purses
        nonce = secrets.token_hex(8)
        token = phone.sign(self.id, nonce, amount, self.currency, counter=counter)
        purse = self.config["offline"]["purse"]
        refused = refusal(phone.certificate, token, issuer_keys={k["kid"]: k["public_key"] for k in purse["issuer_keys"]},
                          revoked=set(purse["revoked"]), terminal_id=self.id, nonce=nonce, currency=self.currency,
                          now=int(time.time())) or queue.refusal(phone.certificate, token)
        self.refused = refused
        if refused:
            return None
        queue.accept(phone.certificate, token)
        return token

    def upload_purses(self, extra: list[dict]) -> tuple[list[dict], dict]:
        """The purse queue (and `extra`, records someone slipped in), in one upload; what the
        server answered leaves the queue. Returns (the batch, the answer)."""
        batch = self.purses.records() + extra
        if not batch:
            return batch, {"results": []}
        answer = self.client.upload(batch)
        done = {(r["purse_id"], r["counter"]) for r in answer["results"] if r.get("purse_id")}
        self.purses.remove(done)
        return batch, answer


@dataclass
class Cheat:
    phone: Phone
    tills: tuple[str, str]
    kind: str  # what the server must find: counter_reused (counters reset) or above_allowance
    drained: bool
    done: list[str] = field(default_factory=list)


def double_spend(till: Till, cheat: Cheat, expected: Expected) -> None:
    """The cheat's whole allowance at this terminal, in two tokens. At its second terminal the
    counters start again (an extracted key and a reset phone) or go on (a total above the
    allowance); each terminal alone sees nothing wrong."""
    phone, allowance = cheat.phone, CHEAT_PURSE[0]
    with phone.lock:
        second = bool(cheat.done)
        for n in (1, 2):
            counter = n if second and cheat.kind == "counter_reused" else None
            token = till.accept_token(phone, allowance // 2, counter=counter)
            expected.spend("signed", phone.user["wallet"], allowance // 2)
            if token is None:
                expected.violations.append(f"{till.id} refused the cheat's token: it cannot know yet")
                continue
            expected.sold(3, till, allowance // 2, (token["purse_id"], token["counter"], till.id))
        cheat.done.append(till.id)
    expected.add("double spend tokens", 2)


def cast(seed: dict, urls: list[str], workdir: Path, rng: random.Random, cheaters: int, expiring: int = 0):
    """Phones with purses (the cheats' wallets emptied by a transfer, for half of them), tills,
    cheats, and phones whose purses are to expire during the run (expiry.py shortens them)."""
    phones = [Phone(user, urls) for user in seed["users"]]
    honest, dishonest = phones[cheaters:len(phones) - expiring], phones[:cheaters]
    short = phones[len(phones) - expiring:] if expiring else []
    for phone in honest:
        phone.take_purse(*HONEST_PURSE, rng)
    for phone in short:
        phone.take_purse(*EXPIRING_PURSE, rng)
    tills = [Till(t, urls[i % 2:] + urls[:i % 2], workdir / f"till{i}") for i, t in enumerate(tills_of(seed))]
    cheats = []
    for i, phone in enumerate(dishonest):
        phone.take_purse(*CHEAT_PURSE, rng)
        cheat = Cheat(phone, tuple(t.id for t in rng.sample(tills, 2)),
                      ("counter_reused", "above_allowance")[i % 2], drained=(i // 2) % 2 == 0)
        if cheat.drained:
            outcome = phone.call("POST", "/api/v1/transfers", {"to": honest[0].user["wallet"], "amount":
                                 BALANCE - CHEAT_PURSE[0], "currency": seed["currency"]}, "transfer", rng)
            if outcome is None or outcome.status != 201:
                raise RuntimeError(f"emptying a cheat's wallet failed: {outcome}")
        cheats.append(cheat)
    return honest, tills, cheats, short

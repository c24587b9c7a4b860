"""The random operations of the bank test, as phones and terminals make them.

Each plan is one call, or two calls sent at the same moment with different keys where a real
shop can race with itself: two cashiers refunding the same sale in full, or a vending machine's
capture crossing its own void. Exactly one of each pair may succeed. The Idempotency-Key starts
with the operation's name, so the checks can count the server's stored answers per operation.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Callable

from tests.system.client import HeadersFor, Outcome, bearer
from tests.system.world import CodeBook, Memory, terminal_headers

WEIGHTS = {"transfer": 25, "qr_payment": 20, "charge": 20, "refund": 10, "authorize": 15, "capture": 5, "void": 5}


@dataclass
class Call:
    name: str
    method: str
    path: str
    body: dict | None
    headers_for: HeadersFor
    on_answer: Callable[[Outcome], None] | None = None


@dataclass
class World:
    seed: dict
    tills: list[dict]
    codes: CodeBook
    memory: Memory

    def till(self, rng: random.Random, kind: str) -> dict:
        return rng.choice([t for t in self.tills if t["kind"] == kind])


def _transfer(world: World, rng: random.Random) -> list[Call]:
    user, other = rng.sample(world.seed["users"], 2)
    body = {"to": other["wallet"], "amount": rng.randint(1, 5000), "currency": world.seed["currency"]}
    return [Call("transfer", "POST", "/api/v1/transfers", body, bearer(user["token"]))]


def _qr_payment(world: World, rng: random.Random) -> list[Call]:
    user, merchant = rng.choice(world.seed["users"]), rng.choice(world.seed["merchants"])
    body = {"payload": merchant["payload"], "wallet_id": user["wallet"], "amount": rng.randint(1, 5000)}
    return [Call("qr_payment", "POST", "/api/v1/qr/payments", body, bearer(user["token"]))]


def _scanned(world: World, rng: random.Random, name: str, path: str, kind: str, amount: int) -> list[Call] | None:
    taken = world.codes.take(rng)
    if taken is None:
        return None
    till = world.till(rng, kind)
    body = {"payment_code": taken[1], "amount": amount, "currency": world.seed["currency"], "reference": name}
    memory_kind = "charges" if name == "charge" else "authorizations"

    def remember(outcome: Outcome) -> None:
        if outcome.status == 201 and outcome.body.get("status") in ("succeeded", "authorized"):
            world.memory.remember(memory_kind, till, outcome.body)
    return [Call(name, "POST", path, body, terminal_headers(till), remember)]


def _refund(world: World, rng: random.Random) -> list[Call] | None:
    taken = world.memory.take("charges", rng)
    if taken is None:
        return None
    till, charge = taken
    path = f"/api/v1/pos/charges/{charge['id']}/refunds"
    if rng.random() < 0.5:  # two cashiers refund the whole sale at once: one of them must be refused
        return [Call("refund", "POST", path, {"amount": charge["amount"]}, terminal_headers(till)) for _ in range(2)]
    return [Call("refund", "POST", path, {"amount": rng.randint(1, charge["amount"])}, terminal_headers(till))]


def _resolve(world: World, rng: random.Random, name: str) -> list[Call] | None:
    taken = world.memory.take("authorizations", rng)
    if taken is None:
        return None
    till, authorization = taken
    base = f"/api/v1/pos/authorizations/{authorization['id']}"
    capture = Call("capture", "POST", base + "/capture", {"amount": rng.randint(1, authorization["amount"])},
                   terminal_headers(till))
    void = Call("void", "POST", base + "/void", None, terminal_headers(till))
    if rng.random() < 0.3:  # the machine's capture crosses its own void: exactly one wins
        return [capture, void]
    return [capture if name == "capture" else void]


def plan(world: World, rng: random.Random) -> list[Call]:
    name = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    calls = None
    if name == "charge":
        calls = _scanned(world, rng, "charge", "/api/v1/pos/charges", "pos", rng.randint(100, 5000))
    elif name == "authorize":
        calls = _scanned(world, rng, "authorize", "/api/v1/pos/authorizations", "vending", rng.randint(100, 3000))
    elif name == "refund":
        calls = _refund(world, rng)
    elif name in ("capture", "void"):
        calls = _resolve(world, rng, name)
    elif name == "qr_payment":
        calls = _qr_payment(world, rng)
    # No code left this period, nothing to refund or resolve yet: move money between people.
    return calls or _transfer(world, rng)


def run_together(calls: list[Call], send: Callable[[Call], None]) -> None:
    """The first call on this thread, any others at the same moment on their own threads."""
    others = [threading.Thread(target=send, args=(call,)) for call in calls[1:]]
    for thread in others:
        thread.start()
    send(calls[0])
    for thread in others:
        thread.join()

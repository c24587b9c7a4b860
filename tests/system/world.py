"""Who takes part in the bank test: customers with phones that compute payment codes, merchants
with a till and a vending machine, and what the clients remember of their acknowledged charges
and authorizations (so that later operations can refund, capture or void them).

Terminals come from the seed (`bench.seed --vending`: a till and a vending machine per merchant,
registered with the app's own service); payment-code devices are registered over HTTP, as a phone
registers itself.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from app.qr import payment_codes
from tests.system.client import bearer, call_with_retries, terminal


@dataclass
class Device:
    user: dict
    id: str
    handle: str
    secret: str
    prefix: str
    period: int


class CodeBook:
    """Hands out payment codes like many phones would: a device shows one code per period, and
    a code is never handed out twice (the server refuses a used one with 402)."""

    def __init__(self, devices: list[Device]):
        self.devices, self.used, self.lock = devices, set(), threading.Lock()

    def take(self, rng: random.Random) -> tuple[dict, str] | None:
        with self.lock:
            now = time.time()
            for device in rng.sample(self.devices, len(self.devices)):
                step = payment_codes.step_of(now, device.period)
                if (device.id, step) not in self.used:
                    self.used.add((device.id, step))
                    return device.user, payment_codes.make_code(device.prefix, device.handle, 0, device.secret,
                                                                now, period=device.period)
        return None  # every device has shown its code this period: do something else


@dataclass
class Memory:
    """Acknowledged charges that may be refunded and authorizations still open, per terminal."""
    charges: list[tuple[dict, dict]] = field(default_factory=list)  # (terminal, charge answer)
    authorizations: list[tuple[dict, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, kind: str, till: dict, answer: dict) -> None:
        with self.lock:
            getattr(self, kind).append((till, answer))

    def take(self, kind: str, rng: random.Random) -> tuple[dict, dict] | None:
        """Removes what it returns: each authorization is resolved once by the clients (the
        race of a capture with a void is made on purpose, by one operation)."""
        with self.lock:
            items = getattr(self, kind)
            return items.pop(rng.randrange(len(items))) if items else None


def register_devices(seed: dict, urls: list[str], per_user: int) -> list[Device]:
    devices, rng = [], random.Random(1)
    for user in seed["users"]:
        for n in range(per_user):
            outcome = call_with_retries(urls, "POST", "/api/v1/devices", {"name": f"Phone {n}"},
                                        headers_for=bearer(user["token"]), key=f"device-{user['id']}-{n}",
                                        cut_first=False, rng=rng)
            if outcome is None or outcome.status != 201:
                raise RuntimeError(f"device registration failed: {outcome}")
            d = outcome.body
            devices.append(Device(user, d["id"], d["handle"], d["secret"], d["prefix"], d["period"]))
    return devices


def terminal_headers(till: dict):
    return terminal(till["id"], till["secret"])


def tills_of(seed: dict) -> list[dict]:
    """Each merchant's till and vending machine, as bench.seed --vending registered them."""
    return [{"kind": kind, "merchant_id": m["id"], **m[field]}
            for m in seed["merchants"] for kind, field in (("pos", "terminal"), ("vending", "vending"))]

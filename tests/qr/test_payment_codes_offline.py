"""Case 2 of the README's "Offline terminals": the customer's phone offline, the terminal online.
The phone computes its codes from the seed it got at registration, with no network for as long
as it likes; the server accepts each code in its own period and the next, once."""
from __future__ import annotations

import pyotp

from app.core import clock
from tests.support.payment_codes import charge
from tests.support.qr import merchant_balance
from tests.support.terminals import make_terminal


def _code_at(device: dict, at: float) -> str:
    totp = pyotp.TOTP(device["secret"], digits=device["digits"], interval=device["period"])
    return f"{device['prefix']}{device['handle']}0{totp.at(at)}"


def _start_of_next_period(period: int) -> float:
    now = clock.now().timestamp()
    return (now // period + 1) * period


def test_a_phone_offline_for_a_day_computes_codes_that_the_server_accepts_when_their_period_comes(app, api):
    # given a phone registered once, online, and then cut off
    terminal = make_terminal(api)
    payer = api.person(name="Customer", balance=10_000)
    device = api.post("/api/v1/devices", payer, json={"name": "Phone"}).json
    period = device["period"]
    start = _start_of_next_period(period)
    # the phone computes, offline, the codes it will show at these moments (1 period to 1 day ahead)
    ahead = [1, 10, 120, 2880]
    codes = {k: _code_at(device, start + k * period + 1) for k in ahead}

    for k in ahead:
        # when the moment comes (the server's clock), the terminal charges the code shown then
        clock.advance(start + k * period + 1 - clock.now().timestamp())
        charged = charge(terminal, codes[k], 100)
        # then each is accepted, once
        assert charged.status_code == 201, (k, charged.json)
        again = charge(terminal, codes[k], 100)
        assert again.status_code == 402 and again.json["error"]["code"] == "payment_code_used"
    assert merchant_balance(app, terminal.merchant_id) == 100 * len(ahead)


def test_a_code_is_accepted_in_its_period_and_the_next_never_before_and_never_after(app, api):
    terminal = make_terminal(api)
    payer = api.person(name="Customer", balance=10_000)
    device = api.post("/api/v1/devices", payer, json={"name": "Phone"}).json
    period = device["period"]
    start = _start_of_next_period(period)
    early, late, stale = (_code_at(device, start + k * period + 1) for k in (1, 2, 3))

    clock.advance(start + 1 - clock.now().timestamp())  # the period before `early`'s: a fast phone clock
    refused = charge(terminal, early, 100)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "payment_code_invalid"

    clock.advance(3 * period)  # `late`'s period + 1: still accepted; `stale`'s + 0 too
    assert charge(terminal, late, 100).status_code == 201
    clock.advance(2 * period)  # two periods after `stale`'s own: expired
    expired = charge(terminal, stale, 100)
    assert expired.status_code == 402 and expired.json["error"]["code"] == "payment_code_expired"

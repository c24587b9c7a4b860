"""Tier limits at the till and the vending machine: a charge over the limit is refused with its
own code (and recorded); a hold counts against the day when taken, and what its capture or void
does not take is given back."""
from __future__ import annotations

from tests.support.operators import make_operator
from tests.support.payment_codes import charge, customer
from tests.support.terminals import make_terminal
from tests.support.tiers import limited

AUTHORIZATIONS = "/api/v1/pos/authorizations"


def day_used(api, person) -> int:
    return api.get("/api/v1/me/limits", person).json["wallets"][0]["day"]["used"]


def test_a_charge_over_the_daily_limit_is_refused_as_limit_exceeded_and_recorded(app, api):
    admin = make_operator(app, api, "admin")
    terminal = make_terminal(api)
    buyer = customer(api, balance=5_000)
    limited(api, admin, buyer.person, daily_out=1_000)
    assert charge(terminal, buyer.code(), 800).status_code == 201

    refused = charge(terminal, buyer.code(), 300)

    assert refused.status_code == 402 and refused.json["error"]["code"] == "limit_exceeded"
    assert "tier" in refused.json["error"]["message"] and set(refused.json["error"]["details"]) == {"charge_id"}
    recorded = terminal.get(f"/api/v1/pos/charges/{refused.json['error']['details']['charge_id']}").json
    assert (recorded["status"], recorded["failure_code"]) == ("failed", "limit_exceeded")
    assert api.wallet(buyer.person)["balance"] == 4_200
    assert day_used(api, buyer.person) == 800


def test_a_hold_counts_when_taken_and_gives_back_what_is_not_captured(app, api):
    admin = make_operator(app, api, "admin")
    machine = make_terminal(api, kind="vending", label="Snacks")
    buyer = customer(api, balance=5_000)
    limited(api, admin, buyer.person, daily_out=1_000)

    held = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 600})
    assert held.status_code == 201, held.json
    assert day_used(api, buyer.person) == 600
    over = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500})
    assert over.status_code == 402 and over.json["error"]["code"] == "limit_exceeded"

    captured = machine.post(f"{AUTHORIZATIONS}/{held.json['id']}/capture", {"amount": 250})
    assert captured.status_code == 200, captured.json
    assert day_used(api, buyer.person) == 250

    second = machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 700})
    assert second.status_code == 201, second.json
    assert machine.post(f"{AUTHORIZATIONS}/{second.json['id']}/void").status_code == 200
    assert day_used(api, buyer.person) == 250
    assert api.verify_ledger() == []

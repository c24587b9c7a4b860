"""Each terminal's offline limits: staff set them, the terminal reads them in /pos/config before
it goes offline and enforces them, and uploads are checked against them again."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.core import clock
from app.core.errors import not_found
from app.core.money import currency
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.models import Merchant
from app.merchant.services import staff_merchant
from app.pos.offline import codes
from app.pos.offline.models import OfflineLimits
from app.pos.terminals.models import Terminal
from app.qr.transliterate import MERCHANT_CITY_MAX, MERCHANT_NAME_MAX, ascii_fold

FIELDS = ("max_sale", "max_total", "max_count", "max_hours")


def effective(terminal_id: str) -> dict:
    """The terminal's own limits, or the OFFLINE_* defaults for those it has none."""
    row = db.session.get(OfflineLimits, terminal_id)
    if row is not None:
        return {name: getattr(row, name) for name in FIELDS} | {"custom": True}
    cfg = current_app.config
    return {name: cfg[f"OFFLINE_{name.upper()}"] for name in FIELDS} | {"custom": False}


def _terminal(user: User, merchant_id: str, terminal_id: str, may: str) -> Terminal:
    merchant = staff_merchant(user, merchant_id, may=may)
    terminal = db.session.execute(select(Terminal).filter_by(id=terminal_id, merchant_id=merchant.id)).scalar_one_or_none()
    if terminal is None:
        raise not_found("terminal")
    return terminal


def get(user: User, merchant_id: str, terminal_id: str) -> dict:
    terminal = _terminal(user, merchant_id, terminal_id, "terminals")
    return {"terminal_id": terminal.id, **effective(terminal.id)}


def put(user: User, merchant_id: str, terminal_id: str, values: dict) -> dict:
    """Takes effect at the terminal's next /pos/config (it reads them before it goes offline)."""
    with unit_of_work() as uow:
        terminal = _terminal(user, merchant_id, terminal_id, "terminals")
        row = db.session.get(OfflineLimits, terminal.id, with_for_update=True)
        if row is None:
            row = OfflineLimits(terminal_id=terminal.id, **values, updated_at=clock.now())
            db.session.add(row)
        else:
            for name in FIELDS:
                setattr(row, name, values[name])
            row.updated_at = clock.now()
        uow.commit()
    return {"terminal_id": terminal_id, **{name: values[name] for name in FIELDS}, "custom": True}


def config_section(terminal: Terminal, merchant: Merchant) -> dict:
    """The "offline" section of /pos/config: everything a terminal needs to make codes, check
    confirmations and enforce its limits with no network."""
    money = currency(merchant.currency)
    return {"guid": current_app.config["QR_GUID"],
            "merchant_name": ascii_fold(merchant.name, MERCHANT_NAME_MAX) or "MERCHANT",
            "merchant_city": ascii_fold(merchant.city, MERCHANT_CITY_MAX) or "CITY",
            "country": merchant.country, "mcc": merchant.mcc, "currency": money.code,
            "currency_numeric": money.numeric, "exponent": money.exponent,
            "code_ttl": current_app.config["OFFLINE_CODE_TTL"], "confirmation_digits": codes.CONFIRMATION_DIGITS,
            "max_confirmation_attempts": codes.MAX_ATTEMPTS, "limits": effective(terminal.id)}

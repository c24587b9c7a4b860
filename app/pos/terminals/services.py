"""Merchant staff manage their terminals: register, list, disable, enable, rotate the secret.

The secret is shown once, when it is made, and kept Fernet-encrypted: the server needs it back
to check signatures (an HMAC key cannot be stored as a one-way hash).
"""
from __future__ import annotations

import secrets

from sqlalchemy import select

from app.auth import crypto
from app.auth.models import User
from app.core import audit, clock
from app.core.errors import not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant.services import staff_merchant
from app.pos.terminals.models import Terminal


def terminal_out(terminal: Terminal, secret: str | None = None) -> dict:
    out = {"id": terminal.id, "merchant_id": terminal.merchant_id, "kind": terminal.kind, "label": terminal.label,
           "status": terminal.status, "created_at": clock.as_utc(terminal.created_at).isoformat(),
           "secret_rotated_at": clock.as_utc(terminal.secret_rotated_at).isoformat()}
    if secret is not None:
        out["secret"] = secret
    return out


def _new_secret() -> str:
    return "tsk_" + secrets.token_urlsafe(32)


def register(user: User, merchant_id: str, *, kind: str, label: str) -> dict:
    secret = _new_secret()
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="terminals")
        now = clock.now()
        terminal = Terminal(id=new_id("ter"), merchant_id=merchant.id, kind=kind, label=label,
                            secret=crypto.encrypt(secret), status="active", created_at=now,
                            secret_rotated_at=now, batch_opened_at=now)
        db.session.add(terminal)
        audit.record("merchant_staff", user.id, "terminal.register", "terminal", terminal.id,
                     after={"merchant_id": merchant.id, "kind": kind, "label": label, "status": "active"})
        uow.commit()
    return terminal_out(terminal, secret)


def list_terminals(user: User, merchant_id: str) -> list[dict]:
    merchant = staff_merchant(user, merchant_id)
    rows = db.session.execute(select(Terminal).filter_by(merchant_id=merchant.id)
                              .order_by(Terminal.created_at, Terminal.id)).scalars()
    return [terminal_out(t) for t in rows]


def _owned(user: User, merchant_id: str, terminal_id: str) -> Terminal:
    merchant = staff_merchant(user, merchant_id, may="terminals")
    terminal = db.session.execute(select(Terminal).filter_by(id=terminal_id, merchant_id=merchant.id)
                                  .with_for_update()).scalar_one_or_none()
    if terminal is None:
        raise not_found("terminal")
    return terminal


def set_status(user: User, merchant_id: str, terminal_id: str, status: str) -> dict:
    """Disable or enable; a disabled terminal's next request is refused (checked every request)."""
    with unit_of_work() as uow:
        terminal = _owned(user, merchant_id, terminal_id)
        before, terminal.status = terminal.status, status
        audit.record("merchant_staff", user.id, "terminal.disable" if status == "disabled" else "terminal.enable",
                     "terminal", terminal.id, before={"status": before},
                     after={"merchant_id": terminal.merchant_id, "status": status})
        uow.commit()
    return terminal_out(terminal)


def rotate_secret(user: User, merchant_id: str, terminal_id: str) -> dict:
    """A new secret at once; the old one stops working with the next request."""
    secret = _new_secret()
    with unit_of_work() as uow:
        terminal = _owned(user, merchant_id, terminal_id)
        before = clock.iso(terminal.secret_rotated_at)
        terminal.secret, terminal.secret_rotated_at = crypto.encrypt(secret), clock.now()
        # The times only: a secret, even encrypted, has no place in a record kept forever.
        audit.record("merchant_staff", user.id, "terminal.rotate_secret", "terminal", terminal.id,
                     before={"secret_rotated_at": before},
                     after={"merchant_id": terminal.merchant_id, "secret_rotated_at": clock.iso(terminal.secret_rotated_at)})
        uow.commit()
    return terminal_out(terminal, secret)

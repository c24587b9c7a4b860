"""Setting and lifting freezes. Each is one unit of work with its audit record.

Setting one locks the wallets it covers (FOR NO KEY UPDATE in key order, the lock every posting
takes first: app.wallet.ledger.lock_accounts) before inserting the row. So a payment holding a
wallet's lock commits before the freeze does, and one that takes the lock after the freeze
committed sees it (app/wallet/sql/freezes.sql): no payment debits a wallet after a freeze of it
has committed. Lifting takes no wallet lock: it writes lifted_at, and the posting compares that
with its own time, so a payment that began before the lift is refused even if it reaches the
database after it (a lift only allows more; being refused a moment too long is the safe side).
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select, tuple_

from app.auth.current import require_fresh_sign_in
from app.auth.models import User
from app.auth.services.pin import require_pin
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.pagination import decode_keyset, encode_keyset
from app.core.uow import retrying, unit_of_work
from app.extensions import db
from app.wallet import ledger
from app.wallet.freezes import active_freezes, applying, frozen_state
from app.wallet.models import Account, Freeze


def freeze_out(f: Freeze) -> dict:
    return {"id": f.id, "user_id": f.user_id, "wallet_id": f.wallet_id, "scope": f.scope, "reason": f.reason,
            "ends_at": clock.iso(f.ends_at) if f.ends_at else None, "set_by": f.set_by,
            "created_at": clock.iso(f.created_at), "lifted_at": clock.iso(f.lifted_at) if f.lifted_at else None,
            "lift_reason": f.lift_reason}


def _target(freeze_or_user_id: str, wallet_id: str | None) -> tuple[str, str]:
    """The audit record's object: the wallet, or the user for a freeze of all their wallets."""
    return ("wallet", wallet_id) if wallet_id else ("user", freeze_or_user_id)


def _state(user_id: str, wallet_id: str | None) -> dict | None:
    """The audit record's before and after: what covers the wallet, or the user as a whole."""
    return frozen_state(active_freezes(user_id), wallet_id)


def set_freeze(actor_type: str, actor_id: str, *, user_id: str, wallet_id: str | None, scope: str, reason: str,
               ends_at: datetime | None) -> dict:
    """A new freeze by an operator or by the user themself (actor_type 'operator' | 'user')."""
    now = clock.now()
    if ends_at is not None and ends_at <= now:
        raise AppError(Code.VALIDATION_ERROR, "ends_at must be in the future",
                       {"fields": [{"field": "ends_at", "message": "must be in the future"}]})

    def attempt() -> dict:
        with unit_of_work() as uow:
            user = db.session.get(User, user_id)
            if user is None:
                raise not_found("user")
            wallets = select(Account.id).where(Account.user_id == user_id, Account.kind == "user")
            covered = list(db.session.execute(wallets.where(Account.id == wallet_id) if wallet_id else wallets).scalars())
            if wallet_id and not covered:
                raise not_found("wallet")  # another user's wallet looks like a missing one
            ledger.lock_accounts(covered)  # waits for the payments in flight on these wallets
            before = _state(user_id, wallet_id)
            freeze = Freeze(id=new_id("frz"), user_id=user_id, wallet_id=wallet_id, scope=scope, reason=reason,
                            ends_at=ends_at, set_by=actor_type, set_by_id=actor_id, created_at=clock.now())
            db.session.add(freeze)
            db.session.flush()
            object_type, object_id = _target(user_id, wallet_id)
            audit.record(actor_type, actor_id, "freeze.set", object_type, object_id,
                         before={"frozen": before},
                         after={"frozen": _state(user_id, wallet_id), "freeze": freeze_out(freeze)}, reason=reason)
            uow.commit()
            return freeze_out(freeze)

    return retrying(attempt)  # a deadlock with a payment's locks is retried like the payment's own


def lift_by_operator(operator_id: str, freeze_id: str, reason: str) -> dict:
    return _lift("operator", operator_id, freeze_id, reason, owner=None)


def lift_by_user(user: User, freeze_id: str, pin: str) -> dict:
    """The owner lifts their own freeze: 404 unless theirs, 409 if no longer active, 403 if an
    operator set it, then a fresh sign-in and the PIN (wrong PINs count towards the PIN lock)."""
    found = db.session.get(Freeze, freeze_id)
    if found is None or found.user_id != user.id:
        raise not_found("freeze")
    _refuse_unless_active(found)
    if found.set_by == "operator":
        raise AppError(Code.FREEZE_SET_BY_OPERATOR, "an operator set this freeze; only an operator can lift it")
    require_fresh_sign_in(current_app.config["FRESH_SIGN_IN_SECONDS"])
    require_pin(user, pin)
    return _lift("user", user.id, freeze_id, "lifted by its owner (PIN, fresh sign-in)", owner=user.id)


def _refuse_unless_active(freeze: Freeze) -> None:
    if freeze.lifted_at is not None or (freeze.ends_at is not None and clock.as_utc(freeze.ends_at) <= clock.now()):
        raise AppError(Code.FREEZE_NOT_ACTIVE, "this freeze was lifted already or has ended",
                       {"lifted_at": clock.iso(freeze.lifted_at) if freeze.lifted_at else None})


def _lift(actor_type: str, actor_id: str, freeze_id: str, reason: str, *, owner: str | None) -> dict:
    with unit_of_work() as uow:
        freeze = db.session.execute(select(Freeze).filter_by(id=freeze_id).with_for_update()
                                    .execution_options(populate_existing=True)).scalar_one_or_none()
        if freeze is None or (owner is not None and freeze.user_id != owner):
            raise not_found("freeze")
        _refuse_unless_active(freeze)  # again under the lock: two lifts at once, one wins
        before = _state(freeze.user_id, freeze.wallet_id)
        freeze.lifted_at, freeze.lifted_by, freeze.lift_reason = clock.now(), actor_id, reason
        db.session.flush()
        object_type, object_id = _target(freeze.user_id, freeze.wallet_id)
        audit.record(actor_type, actor_id, "freeze.lift", object_type, object_id,
                     before={"frozen": before, "freeze_id": freeze.id},
                     after={"frozen": _state(freeze.user_id, freeze.wallet_id), "freeze": freeze_out(freeze)},
                     reason=reason)
        uow.commit()
        return freeze_out(freeze)


def list_freezes(*, user_id: str | None, active: bool | None, cursor: str | None, limit: int) -> dict:
    stmt = select(Freeze).order_by(Freeze.created_at.desc(), Freeze.id.desc()).limit(limit + 1)
    if user_id:
        stmt = stmt.where(Freeze.user_id == user_id)
    if active is not None:
        condition = applying(clock.now())
        stmt = stmt.where(condition if active else ~condition)
    if cursor:
        stmt = stmt.where(tuple_(Freeze.created_at, Freeze.id) < decode_keyset(cursor))
    rows = list(db.session.execute(stmt).scalars())
    page, more = rows[:limit], len(rows) > limit
    return {"data": [freeze_out(f) for f in page], "has_more": more,
            "next_cursor": encode_keyset(page[-1].created_at, page[-1].id) if more else None}

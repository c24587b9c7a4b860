"""Operator roles: admins grant and revoke them; each change is audited in its own transaction.

There is always an admin left: revoking the last admin role is refused, and revocations of the
admin role lock every admin row first, so two admins removing each other at once queue and the
second finds itself the last.
"""
from __future__ import annotations

from sqlalchemy import select

from app.auth.identity import find_user
from app.auth.models import OperatorRole, User
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db


def _roles(user_id: str) -> list[str]:
    return sorted(db.session.execute(select(OperatorRole.role).where(OperatorRole.user_id == user_id)).scalars())


def operator_out(user: User, roles: list[str]) -> dict:
    return {"user_id": user.id, "name": user.name, "email": user.email, "phone": user.phone, "roles": roles}


def list_operators() -> list[dict]:
    rows = db.session.execute(select(User, OperatorRole.role).join(OperatorRole, OperatorRole.user_id == User.id)
                              .order_by(User.created_at, User.id, OperatorRole.role)).all()
    found: dict[str, tuple[User, list[str]]] = {}
    for user, role in rows:
        found.setdefault(user.id, (user, []))[1].append(role)
    return [operator_out(user, roles) for user, roles in found.values()]


def grant(admin_id: str, *, identifier: str, role: str, reason: str | None) -> dict:
    with unit_of_work() as uow:
        person = find_user(identifier)
        if person is None or person.status != "active" or not person.verified:
            raise AppError(Code.VALIDATION_ERROR, "identifier must be the phone or e-mail of an existing, verified "
                           "user", {"fields": [{"field": "identifier", "message": "no such verified user"}]})
        before = _roles(person.id)
        if role in before:
            raise AppError(Code.ALREADY_EXISTS, f"this person already holds the operator role {role}")
        db.session.add(OperatorRole(id=new_id("opr"), user_id=person.id, role=role, granted_by=admin_id,
                                    created_at=clock.now()))
        after = sorted(before + [role])
        audit.record("operator", admin_id, "operator.grant", "user", person.id,
                     before={"roles": before}, after={"roles": after}, reason=reason)
        uow.commit()
        return operator_out(person, after)


def revoke(admin_id: str, user_id: str, role: str) -> None:
    with unit_of_work() as uow:
        if role == "admin":
            admins = db.session.execute(select(OperatorRole.user_id).where(OperatorRole.role == "admin")
                                        .order_by(OperatorRole.id).with_for_update()).scalars().all()
            if user_id in admins and len(admins) == 1:
                raise AppError(Code.CONFLICT, "the last admin keeps the role: grant it to someone else first")
        held = db.session.execute(select(OperatorRole).filter_by(user_id=user_id, role=role)).scalar_one_or_none()
        if held is None:
            raise not_found("operator role")
        before = _roles(user_id)
        db.session.delete(held)
        audit.record("operator", admin_id, "operator.revoke", "user", user_id,
                     before={"roles": before}, after={"roles": [r for r in before if r != role]})
        uow.commit()

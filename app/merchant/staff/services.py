"""Who works for a merchant, in which role (app.merchant.roles says what each may do).

Owners give any role and remove anyone; managers add and remove cashiers only. A merchant
always keeps at least one owner: the last one can be neither removed nor demoted (the row lock
on the merchant makes two owners demoting each other at once queue, so one of them stays).
"""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.identity import find_user
from app.auth.models import User
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant import roles
from app.merchant.models import Merchant, MerchantStaff
from app.merchant.services import staff_membership


def staff_out(member: MerchantStaff, user: User | None) -> dict:
    return {"id": member.id, "user_id": member.user_id, "name": user.name if user else None, "role": member.role,
            "created_at": clock.iso(member.created_at)}


def list_staff(user: User, merchant_id: str) -> list[dict]:
    merchant, _ = staff_membership(user, merchant_id, "staff")
    rows = db.session.execute(select(MerchantStaff, User).join(User, User.id == MerchantStaff.user_id)
                              .where(MerchantStaff.merchant_id == merchant.id)
                              .order_by(MerchantStaff.created_at, MerchantStaff.id)).all()
    return [staff_out(member, person) for member, person in rows]


def _may_give(member: MerchantStaff, role: str) -> None:
    """A manager deals with cashiers only; anything else is an owner's."""
    if role != "cashier" and not roles.may(member.role, "roles"):
        raise AppError(Code.ROLE_NOT_ALLOWED, f"a {member.role} may not give or take the role {role}",
                       {"role": member.role, "allowed_roles": sorted(roles.RIGHTS["roles"])})


def add_staff(user: User, merchant_id: str, *, identifier: str, role: str) -> dict:
    with unit_of_work() as uow:
        merchant, me = staff_membership(user, merchant_id, "staff")
        _may_give(me, role)
        person = find_user(identifier)
        if person is None or person.status != "active" or not person.verified:
            raise AppError(Code.VALIDATION_ERROR, "identifier must be the phone or e-mail of an existing, verified "
                           "user", {"fields": [{"field": "identifier", "message": "no such verified user"}]})
        if db.session.execute(select(MerchantStaff.id).filter_by(merchant_id=merchant.id, user_id=person.id)).first():
            raise AppError(Code.ALREADY_EXISTS, "this person already works for this merchant")
        member = MerchantStaff(id=new_id("stf"), merchant_id=merchant.id, user_id=person.id, role=role,
                               created_at=clock.now())
        db.session.add(member)
        audit.record("merchant_staff", user.id, "staff.add", "merchant_staff", member.id,
                     after={"merchant_id": merchant.id, "user_id": person.id, "role": role})
        uow.commit()
    return staff_out(member, person)


def _colleague(user: User, merchant_id: str, staff_id: str, right: str) -> tuple[MerchantStaff, MerchantStaff]:
    """(me, them), with the merchant's row locked: changes to one merchant's staff queue."""
    merchant, me = staff_membership(user, merchant_id, right)
    db.session.execute(select(Merchant.id).where(Merchant.id == merchant.id).with_for_update())
    them = db.session.execute(select(MerchantStaff).filter_by(id=staff_id, merchant_id=merchant.id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if them is None:
        raise not_found("staff member")
    return me, them


def _keep_an_owner(them: MerchantStaff) -> None:
    if them.role != "owner":
        return
    owners = db.session.scalar(select(func.count()).select_from(MerchantStaff)
                               .filter_by(merchant_id=them.merchant_id, role="owner"))
    if owners <= 1:
        raise AppError(Code.CONFLICT, "a merchant keeps at least one owner: make someone else owner first")


def change_role(user: User, merchant_id: str, staff_id: str, *, role: str) -> dict:
    with unit_of_work() as uow:
        _, them = _colleague(user, merchant_id, staff_id, "roles")
        if role != "owner":
            _keep_an_owner(them)
        before, them.role = them.role, role
        audit.record("merchant_staff", user.id, "staff.change_role", "merchant_staff", them.id,
                     before={"role": before}, after={"merchant_id": them.merchant_id, "user_id": them.user_id,
                                                     "role": role})
        uow.commit()
        return staff_out(them, db.session.get(User, them.user_id))


def remove_staff(user: User, merchant_id: str, staff_id: str) -> None:
    with unit_of_work() as uow:
        me, them = _colleague(user, merchant_id, staff_id, "staff")
        _may_give(me, them.role)
        _keep_an_owner(them)
        db.session.delete(them)
        audit.record("merchant_staff", user.id, "staff.remove", "merchant_staff", them.id,
                     before={"merchant_id": them.merchant_id, "user_id": them.user_id, "role": them.role})
        uow.commit()

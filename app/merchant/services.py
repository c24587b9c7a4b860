"""Merchant use cases: an administrator creates a merchant; its staff act for it."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.identity import find_user
from app.auth.models import User
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant import roles
from app.merchant.models import Merchant, MerchantStaff
from app.wallet import ledger
from app.wallet.models import Account


def merchant_out(merchant: Merchant) -> dict:
    return {"id": merchant.id, "name": merchant.name, "city": merchant.city, "country": merchant.country,
            "mcc": merchant.mcc, "currency": merchant.currency, "status": merchant.status,
            "created_at": clock.as_utc(merchant.created_at).isoformat()}


def create_merchant(*, name: str, city: str, country: str, mcc: str, currency: str, owner: str,
                    language: str = "en", by: str | None = None) -> dict:
    """`by`: the admin operator who asked (the blueprint checked the role); None from the CLI and
    the bench. Audited. The owner is an existing user, found by phone or e-mail."""
    with unit_of_work() as uow:
        user = find_user(owner)
        # Verified only: anyone can register someone else's phone or e-mail and never verify it.
        if user is None or user.status != "active" or not user.verified:
            raise AppError(Code.VALIDATION_ERROR, "owner must be the phone or e-mail of an existing, verified "
                           "user", {"fields": [{"field": "owner", "message": "no such verified user"}]})
        merchant = Merchant(id=new_id("mer"), name=name, city=city, country=country, mcc=mcc, currency=currency,
                            language=language, status="active", created_at=clock.now())
        db.session.add(merchant)
        db.session.flush()
        db.session.add(MerchantStaff(id=new_id("stf"), merchant_id=merchant.id, user_id=user.id, role="owner",
                                     created_at=clock.now()))
        ledger.open_account(kind="merchant", currency=currency, merchant_id=merchant.id, prefix="acc")
        audit.record("operator" if by else "system", by or "cli", "merchant.create", "merchant", merchant.id,
                     after={"name": name, "currency": currency, "owner_id": user.id})
        uow.commit()
    return merchant_out(merchant)


def staff_merchant(user: User, merchant_id: str, may: str = "read") -> Merchant:
    """The merchant if `user` works for it and their role has the right `may` (app.merchant.roles).
    Someone who does not work for it gets a 404, exactly like a missing merchant; staff whose
    role lacks the right get 403 role_not_allowed."""
    return staff_membership(user, merchant_id, may)[0]


def staff_membership(user: User, merchant_id: str, may: str = "read") -> tuple[Merchant, MerchantStaff]:
    found = db.session.execute(
        select(Merchant, MerchantStaff).join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
        .where(Merchant.id == merchant_id, MerchantStaff.user_id == user.id)).one_or_none()
    if found is None:
        raise not_found("merchant")
    merchant, member = found
    if not roles.may(member.role, may):
        raise AppError(Code.ROLE_NOT_ALLOWED, f"a {member.role} may not {roles.WHAT[may]}",
                       {"role": member.role, "allowed_roles": sorted(roles.RIGHTS[may])})
    return merchant, member


def my_merchants(user: User) -> list[dict]:
    """Each with the caller's role there: a page offers only what that role may do (the staff
    list, which also shows roles, is closed to cashiers)."""
    rows = db.session.execute(select(Merchant, MerchantStaff.role)
                              .join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
                              .where(MerchantStaff.user_id == user.id).order_by(Merchant.created_at)).all()
    return [{**merchant_out(m), "role": role} for m, role in rows]


def get_merchant(user: User, merchant_id: str) -> dict:
    return merchant_out(staff_merchant(user, merchant_id))


def merchant_account(merchant_id: str, currency: str) -> Account | None:
    return db.session.execute(select(Account).filter_by(merchant_id=merchant_id, currency=currency,
                                                        kind="merchant")).scalar_one_or_none()

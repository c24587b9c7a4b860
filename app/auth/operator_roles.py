"""What each operator role may do. The one table the operator checks read (and the README shows).

    right          support  finance  admin
    read              x        x       x     users, wallets, adjustments, the audit trail
    freeze            x                x     freeze and unfreeze wallets and users
    adjustments                x             propose, approve and reject adjustments
    fees                       x             fee configuration: merchants' rates, the global fee settings
    operators                          x     grant and revoke operator roles
    configuration                      x     merchants, tiers and users' tiers, the wallet's settings

An operator is a user holding at least one role (operator_roles); roles add up. admin does not
include finance: the person who hands out roles is not also the one who moves money, so giving
oneself the power to move money leaves a record (the grant is audited) and needs the role first.
"""
from __future__ import annotations

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from app.auth.current import authenticate, current_user_id
from app.auth.models import OperatorRole, User
from app.core.errors import AppError, Code
from app.core.uow import end_read
from app.extensions import db

ROLES = ("support", "finance", "admin")

RIGHTS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "freeze": frozenset({"support", "admin"}),  # stopping money is not moving it: admins may too
    "adjustments": frozenset({"finance"}),
    "fees": frozenset({"finance"}),
    "operators": frozenset({"admin"}),
    "configuration": frozenset({"admin"}),
}

WHAT = {"read": "read the operator views", "freeze": "freeze wallets", "adjustments": "propose or decide adjustments",
        "fees": "change fees", "operators": "grant or revoke operator roles",
        "configuration": "change the wallet's configuration"}


def may(roles: set[str] | frozenset[str], right: str) -> bool:
    return bool(set(roles) & RIGHTS[right])


def roles_of(user_id: str) -> set[str]:
    """The roles of an active user: a disabled operator's still-valid token carries no power."""
    return set(db.session.execute(select(OperatorRole.role).join(User, User.id == OperatorRole.user_id)
                                  .where(OperatorRole.user_id == user_id, User.status == "active")).scalars())


def authenticate_operator() -> None:
    """before_request hook of every operator blueprint: a signed-in user holding an operator role.
    A merchant API key is told plainly that it cannot act here (not the 401 of a bad token: the
    key is valid, it is just the wrong kind of caller)."""
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    if token.strip().startswith("mk_"):
        raise AppError(Code.NOT_AN_OPERATOR, "operator endpoints take an operator's sign-in, not a merchant API key")
    authenticate()
    g.operator_roles = roles_of(current_user_id())
    end_read()
    if not g.operator_roles:
        raise AppError(Code.NOT_AN_OPERATOR, "operators only: this account holds no operator role")


def require(right: str) -> str:
    """The signed-in operator's id if one of their roles has `right`; else 403 role_not_allowed.
    Read from the roles loaded by authenticate_operator (one query per request)."""
    held = g.get("operator_roles") or set()
    if not may(held, right):
        raise AppError(Code.ROLE_NOT_ALLOWED, f"your operator roles may not {WHAT[right]}",
                       {"roles": sorted(held), "allowed_roles": sorted(RIGHTS[right])})
    return current_user_id()


def operator_blueprint(name: str, import_name: str, right: str | None = None) -> APIBlueprint:
    """A blueprint under /api/v1/admin whose every endpoint needs an operator (and, when given,
    the right `right` for all of its endpoints)."""
    blueprint = APIBlueprint(name, import_name, url_prefix="/api/v1/admin", abp_security=[{"bearer": []}],
                             abp_tags=[Tag(name="admin")])
    blueprint.before_request(authenticate_operator)
    if right is not None:
        blueprint.before_request(lambda: require(right) and None)
    return blueprint

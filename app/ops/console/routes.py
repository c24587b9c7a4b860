"""The console's read endpoints. Any operator may read (the right `read`); the changes an
operator makes go through the endpoints of the features that own them (tiers, adjustments...)."""
from flask import g

from app.auth.operator_roles import operator_blueprint, require
from app.ops.console import terminals, users, verify
from app.ops.console.schemas import (OperatorMe, TerminalQuery, TerminalWatchList, UserDetail, UserPath,
                                     UserSearchOut, UserSearchQuery, UserVerifyOut)

console_api = operator_blueprint("console", __name__)


@console_api.get("/me", responses={200: OperatorMe})
def operator_me():
    """The signed-in operator, their roles and what those roles may do (the console offers only that)."""
    return users.operator_me(require("read"), g.operator_roles)


@console_api.get("/users", responses={200: UserSearchOut})
def search_users(query: UserSearchQuery):
    """Find users by phone, e-mail, wallet id or user id (exact), or by part of a name or e-mail."""
    require("read")
    return {"data": users.search(query.q)}


@console_api.get("/users/<user_id>", responses={200: UserDetail})
def get_user(path: UserPath):
    """A user's page: wallets and balances, open holds, tier and what is left today, recent history."""
    require("read")
    return users.user_page(path.user_id)


@console_api.get("/users/<user_id>/verify", responses={200: UserVerifyOut})
def verify_user(path: UserPath):
    """Check this user's wallets' hash chains and balances (the full ledger verify, for one user)."""
    require("read")
    return verify.verify_user(path.user_id)


@console_api.get("/terminals", responses={200: TerminalWatchList})
def watch_terminals(query: TerminalQuery):
    """Terminals not seen for `stale_after` seconds, or with offline sales unreported or refused."""
    require("read")
    return terminals.watch_list(stale_after=query.stale_after, limit=query.limit)

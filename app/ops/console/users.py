"""Finding a user and the page an operator reads about them: wallets, holds, limits, recent
history. One snapshot per request (read, then end_read); nothing here writes."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import or_, select

from app.auth.identity import PHONE, find_user, normalize
from app.auth.models import OperatorRole, User
from app.auth.operator_roles import RIGHTS, may
from app.core import clock
from app.core.errors import not_found
from app.core.uow import end_read
from app.extensions import db
from app.history.entries import describe, next_rows
from app.history.filters import HistoryFilters, like_pattern
from app.wallet.limits import my_limits
from app.wallet.models import Account, Transaction, Transfer
from app.wallet.presenters import wallet_out

SEARCH_LIMIT = 20
HISTORY_ROWS = 20


def user_brief(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "phone": user.phone, "status": user.status,
            "tier": user.tier, "verified": user.verified, "created_at": clock.iso(user.created_at)}


def operator_me(user_id: str, roles: set[str]) -> dict:
    user = db.session.get(User, user_id)
    # Features another branch may not have brought yet: the console asks here instead of probing
    # for a 404 (which the browser would log as an error on every page it opens).
    paths = {rule.rule for rule in current_app.url_map.iter_rules()}
    out = {"user_id": user.id, "name": user.name, "roles": sorted(roles),
           "rights": [right for right in RIGHTS if may(roles, right)],
           "features": {"freezes": "/api/v1/admin/freezes" in paths}}
    end_read()
    return out


def _exact(q: str) -> User | None:
    """What an operator pastes from a ticket: an id, a wallet id, a phone or an e-mail."""
    if q.startswith("usr_"):
        return db.session.get(User, q)
    if q.startswith("wal_"):
        wallet = db.session.execute(select(Account).filter_by(id=q, kind="user")).scalar_one_or_none()
        return db.session.get(User, wallet.user_id) if wallet else None
    if PHONE.match(normalize(q)) or "@" in q:
        return find_user(q)
    return None


def search(q: str) -> list[dict]:
    q = q.strip()
    if len(q) < 2:  # blanks around one character: a pattern that would match everyone
        return []
    found = [user for user in (_exact(q),) if user is not None]
    if not PHONE.match(normalize(q)):  # part of a name or an e-mail (the name has a trigram index)
        pattern = like_pattern(q)
        found += db.session.execute(
            select(User).where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
            .order_by(User.name, User.id).limit(SEARCH_LIMIT)).scalars()
    unique = list({user.id: user for user in found}.values())[:SEARCH_LIMIT]
    out = [user_brief(user) for user in unique]
    end_read()
    return out


def _holds(wallet_ids: list[str]) -> list[dict]:
    """Pending transfers out of these wallets that nothing has resolved yet (a resolution is a
    transfer naming it in pending_id: a capture, a void or the sweeper's expiry)."""
    resolved = Transfer.__table__.alias("resolved")
    rows = db.session.execute(
        select(Transfer, Transaction.reference, Transaction.terminal_id)
        .join(Transaction, Transaction.id == Transfer.transaction_id)
        .where(Transfer.debit_account_id.in_(wallet_ids), Transfer.kind == "pending",
               ~select(resolved.c.id).where(resolved.c.pending_id == Transfer.id).exists())
        .order_by(Transfer.created_at.desc()).limit(100)).all()
    return [{"transaction_id": t.transaction_id, "wallet_id": t.debit_account_id, "amount": t.amount,
             "currency": t.currency, "reference": reference, "terminal_id": terminal_id,
             "created_at": clock.iso(t.created_at), "expires_at": clock.iso(t.expires_at)}
            for t, reference, terminal_id in rows]


def user_page(user_id: str) -> dict:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found("user")
    wallets = db.session.execute(select(Account).filter_by(user_id=user.id, kind="user")
                                 .order_by(Account.created_at, Account.id)).scalars().all()
    wallet_ids = [w.id for w in wallets]
    roles = sorted(db.session.execute(select(OperatorRole.role).filter_by(user_id=user.id)).scalars())
    rows, _, _ = next_rows({wallet_id: None for wallet_id in wallet_ids}, HistoryFilters(), HISTORY_ROWS)
    page = {"user": user_brief(user), "operator_roles": roles, "wallets": [wallet_out(w) for w in wallets],
            "holds": _holds(wallet_ids) if wallet_ids else [], "history": describe(rows)}
    page["limits"] = my_limits(user)  # ends the read
    return page

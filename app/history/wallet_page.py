"""A wallet's history page (without `q`) in one statement: the user's status and the wallet's
ownership, the page's rows, who is on the other side of each and an offline sale's time of sale.

Phones poll this page, and it was four statements, each a round trip with its own parse, plan
and executor start (the owner check of wallet.services.signed_in_wallet, the rows,
presenters.counterparties, sale_times.sold_at_of). Here the owner check is a one-row CTE the
rows are gated on (an InitPlan: a stranger's wallet or a disabled user reads no entry), and the
other two are per-row lookups by primary key or index on the page's own rows, after its LIMIT.
Same rows, same order, same items as entries.next_rows + entries.describe.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, case, func, select, true
from sqlalchemy.orm import aliased

from app.auth.current import inactive_user
from app.auth.models import User
from app.core.errors import AppError, not_found
from app.core.pagination import decode_cursor, encode_cursor
from app.extensions import db
from app.history.entries import describe, next_rows, page_statement
from app.history.filters import HistoryFilters
from app.history.presenters import account_party, history_item
from app.merchant.models import Merchant
from app.pos.offline.models import OfflinePayment
from app.pos.purse.models import PurseToken
from app.wallet.models import Account
from app.wallet.services import signed_in_wallet


def wallet_transactions(user_id: str, wallet_id: str, *, filters: HistoryFilters, limit: int,
                        cursor: str | None) -> dict:
    try:
        before = decode_cursor(cursor)
    except AppError:
        signed_in_wallet(user_id, wallet_id)  # as ever: a stranger's wallet is a 404 before a bad cursor is a 422
        raise
    if not filters.q:
        return wallet_page(user_id, wallet_id, filters, before, limit)
    # `q` takes several statements of its own (app.history.search); the owner check is one more.
    wallet = signed_in_wallet(user_id, wallet_id)
    rows, has_more, moved = next_rows({wallet.id: before}, filters, limit)
    return {"data": describe(rows), "has_more": has_more,
            "next_cursor": encode_cursor(moved[wallet.id]) if has_more else None}


def wallet_page(user_id: str, wallet_id: str, filters: HistoryFilters, before: int | None, limit: int) -> dict:
    """A page without `q`, in one statement."""
    # limit + 1 rows: the extra one only says whether there are more.
    if filters == UNFILTERED:  # PostgreSQL everywhere: no other dialect to compile for
        sql, defaults = _compiled(before is not None)
        values = {"user_id": user_id, "wallet_id": wallet_id, "before": before, "rows": limit + 1}
        rows = db.session.connection().exec_driver_sql(sql, defaults | values).all()
    else:
        rows = db.session.execute(_statement(user_id, wallet_id, filters, before, limit + 1)).all()
    if not rows or rows[0].user_status != "active":
        raise inactive_user()
    if rows[0].owned is None:
        raise not_found("wallet")
    rows = [row for row in rows if row.seq is not None]  # the owner's row alone: an empty page
    taken, has_more = rows[:limit], len(rows) > limit
    parties: dict = {}  # each other side described once per page
    data = []
    for row in taken:
        if row.other_id is not None and row.other_id not in parties:
            parties[row.other_id] = account_party(row.other_id, row.other_kind, row.other_code, row.other_merchant_id,
                                                  row.user_name, row.merchant_name)
        data.append(history_item(row, parties, row.sold_at))
    return {"data": data, "has_more": has_more, "next_cursor": encode_cursor(taken[-1].seq) if has_more else None}


def _compiled(from_cursor: bool) -> tuple[str, dict]:
    """The unfiltered page's statement (what phones poll) as SQL with its parameters' names, built
    and compiled once per process: building it (its CTE, subqueries and aliases) and SQLAlchemy's
    cache key of it cost more of a page's app CPU than anything else (bench.instructions profile)."""
    found = _COMPILED.get(from_cursor)
    if found is None:
        stmt = _statement(bindparam("user_id"), bindparam("wallet_id"), UNFILTERED,
                          bindparam("before") if from_cursor else None, bindparam("rows"))
        compiled = stmt.compile(dialect=db.engine.dialect)
        found = _COMPILED.setdefault(from_cursor, (compiled.string, dict(compiled.params)))
    return found


UNFILTERED = HistoryFilters()
_COMPILED: dict[bool, tuple[str, dict]] = {}


def _statement(user_id, wallet_id, filters: HistoryFilters, before, rows):
    owner = (select(User.status.label("user_status"), Account.id.label("owned")).select_from(User)
             .outerjoin(Account, and_(Account.user_id == User.id, Account.id == wallet_id, Account.kind == "user"))
             .where(User.id == user_id).cte("owner"))
    allowed = select(owner.c.owned).where(owner.c.user_status == "active", owner.c.owned.is_not(None)).exists()
    page = page_statement(wallet_id, filters, before, rows).where(allowed).subquery("page")
    other, person, shop = aliased(Account), aliased(User), aliased(Merchant)
    other_id = case((page.c.debit_account_id == page.c.account_id, page.c.credit_account_id),
                    else_=page.c.debit_account_id)
    described = (select(page, other.id.label("other_id"), other.kind.label("other_kind"),
                        other.code.label("other_code"), other.merchant_id.label("other_merchant_id"),
                        person.name.label("user_name"), shop.name.label("merchant_name"), _sold_at(page).label("sold_at"))
                 .select_from(page).outerjoin(other, other.id == other_id)
                 .outerjoin(person, person.id == other.user_id).outerjoin(shop, shop.id == other.merchant_id)
                 .subquery("described"))
    return (select(owner.c.user_status, owner.c.owned, described).select_from(owner).outerjoin(described, true())
            .order_by(described.c.seq.desc()))


def _sold_at(page):
    """As sale_times.sold_at_of: a purse token by the transfer that captured the hold for it (the
    wallet's hold row), else by the payment it made, else a terminal's offline sale by its payment."""
    by_capture = select(PurseToken.sold_at).where(PurseToken.hold_transfer_id == page.c.transfer_id).limit(1)
    by_token = select(PurseToken.sold_at).where(PurseToken.transaction_id == page.c.id).limit(1)
    by_code = select(OfflinePayment.sold_at).where(OfflinePayment.id == page.c.id)
    return func.coalesce(by_capture.scalar_subquery(), by_token.scalar_subquery(), by_code.scalar_subquery())

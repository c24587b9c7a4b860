"""History's free-text filter `q`: one account's rows whose reference, note, or the name of whoever
is on the other side contains `q`, case-insensitively, newest first.

The reference and note are searched on the entry itself: entries.search holds them in lower case
(entry_search_text in app/wallet/sql/ledger_post.sql), with a GIN trigram index (migration 0036).
Two ways find matching rows, and neither is always fast on a long history:
- walking the account's entries newest first and testing each: quick when matches are common
  among the newest rows, a scan of the whole account when they are rare;
- the trigram index: every entry containing the text, sorted by position, only the page's rows
  then joined to their transactions: quick when the text is rare, and a cost that grows with how
  many entries (of every account) contain it (INV-1, 55,000 of a million: tens of ms).
PostgreSQL picks one from statistics that assume matches are spread evenly, and searched text
is not ("INV-1" is in no recent reference and in thousands of old ones). So the choice is made
here: walk a bounded window of the newest rows first, and only if that does not fill the page,
search below the window through the index.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, and_, func, or_, select, true, union

from app.auth.models import User
from app.extensions import db
from app.history.filters import HistoryFilters, entry_conditions, like_pattern
from app.history.presenters import SYSTEM_LABELS
from app.merchant.models import Merchant
from app.wallet.models import Account, Entry, Transaction

# Rows walked before turning to the index: a few milliseconds of walking.
WINDOW = 2000
# Past this many accounts named like `q`, they stay a subquery rather than a list of ids.
LISTED_PARTIES = 100


def search_rows(stmt: Select, filters: HistoryFilters, account_id: str, before: int | None, limit: int) -> list:
    """`stmt` selects one account's rows (ROW) before its position, with `filters` but `q`; up
    to `limit` of them that match `filters.q`, newest first."""
    # One number for both steps: payments arriving between them must neither repeat a row nor
    # slip one in.
    top = before if before is not None else db.session.scalar(
        select(Account.entry_count + 1).where(Account.id == account_id))
    floor = top - WINDOW
    text = contains(filters.q)
    party = other_side_named(filters.q, account_id)
    # In the window the text is tested on each row walked (coalesce: an expression the trigram
    # index does not answer; PostgreSQL otherwise read the index's 55,000 matches of INV-1 to
    # intersect them with the window's 2,000 rows).
    walked = contains(filters.q, func.coalesce(Entry.search, ""))
    parts = [stmt.where(walked)] + ([stmt.where(party)] if party is not None else [])
    recent = _newest([part.where(Entry.seq >= floor) for part in parts], limit)
    if len(recent) == limit or floor <= 1:  # a full page, or nothing older
        return recent
    wanted = limit - len(recent)
    older = [_text_below(stmt, text, account_id, floor, filters, wanted)]
    if party is not None:
        # Ordered by an expression, not the column, so that no plan walks the account's seq index
        # in order: PostgreSQL starts from the named accounts' transactions instead.
        older.append(stmt.where(party, Entry.seq < floor).with_only_columns(Entry.seq)
                     .order_by((Entry.seq + 0).desc()).limit(wanted))
    return recent + _rows_at(stmt, older, wanted)


def contains(q: str, searched=Entry.search):
    """The entry's reference or note contains `q`, in any case: `search` is lower-cased when it is
    written, the pattern by the same lower() here, and ILIKE is exactly that (lower() of both
    sides, then LIKE), so the rows are those `reference ILIKE p OR note ILIKE p` gave."""
    return searched.like(func.lower(like_pattern(q)), escape="\\")


def _newest(parts: list[Select], limit: int) -> list:
    """The newest `limit` of the union of `parts`: they are among each part's newest `limit`.
    UNION, not UNION ALL: a row matching twice (its note and its counterparty) is one row."""
    found = union(*[part.order_by(Entry.seq.desc()).limit(limit) for part in parts]).subquery()
    return db.session.execute(select(found).order_by(found.c.seq.desc()).limit(limit)).all()


def _text_below(stmt: Select, text, account_id: str, floor: int, filters: HistoryFilters, limit: int) -> Select:
    """The positions of the newest `limit` rows below `floor` whose text matches: the account's
    matching entries from the trigram index (with the filters that are the entry's own), sorted by
    position, then each one, newest first, put to the rest of `stmt` (the transaction's type,
    status, terminal) until `limit` of them pass. LATERAL with a LIMIT (a position is one entry),
    so that it is that loop: joined plainly (or LATERAL alone, which PostgreSQL flattens), the
    sorted matches were merged with a walk of all the account's entries (800,000 for INV-1, 0.4 s).
    The dates are tested on each match (on an expression, so not looked up): in its generic plan
    (once psycopg has prepared the statement) PostgreSQL intersected the matches with the range's
    entries in ix_entries_account_created, 310,000 for 30 days: 17 ms instead of 7."""
    found = (select(Entry.seq).where(Entry.account_id == account_id, Entry.seq < floor, text,
                                     *entry_conditions(filters, Entry.created_at + timedelta(0)))
             .order_by(Entry.seq.desc()).offset(0).subquery("found"))
    passed = stmt.with_only_columns(Entry.seq).where(Entry.seq == found.c.seq).limit(1).lateral("passed")
    return select(passed.c.seq).select_from(found).join(passed, true()).order_by(found.c.seq.desc()).limit(limit)


def _rows_at(stmt: Select, parts: list[Select], limit: int) -> list:
    """`stmt`'s rows at the newest `limit` of the positions the `parts` select."""
    found = union(*parts).subquery()
    newest = select(found.c.seq).order_by(found.c.seq.desc()).limit(limit)
    return db.session.execute(stmt.where(Entry.seq.in_(newest)).order_by(Entry.seq.desc())).all()


def other_side_named(q: str, account_id: str):
    """The row's other side is one of the accounts named like `q` (named_accounts); None when no
    account is. The other side is the credit account when this account is the debit one, else
    the debit account (a merchant's credit bucket is credited for its parent's transaction)."""
    parties = named_accounts(q)
    if parties is None:
        return None
    return or_(and_(Transaction.debit_account_id == account_id, Transaction.credit_account_id.in_(parties)),
               and_(Transaction.debit_account_id != account_id, Transaction.debit_account_id.in_(parties)))


def named_accounts(q: str):
    """The accounts of the people and merchants whose name contains `q`, and the system accounts
    whose label does (they are shown by a label, "Top-up", so that is their searchable name): a
    list of ids, a subquery when there are more than LISTED_PARTIES, None when there are none."""
    pattern = like_pattern(q)
    people = select(Account.id).join(User, User.id == Account.user_id).where(User.name.ilike(pattern, escape="\\"))
    shops = (select(Account.id).join(Merchant, Merchant.id == Account.merchant_id)
             .where(Merchant.name.ilike(pattern, escape="\\")))
    named = [people, shops]
    codes = [code for code, label in SYSTEM_LABELS.items() if q.casefold() in label.casefold()]
    if codes:
        named.append(select(Account.id).where(Account.code.in_(codes)))
    parties = union(*named)
    listed = db.session.scalars(parties.limit(LISTED_PARTIES + 1)).all()
    if not listed:
        return None
    return listed if len(listed) <= LISTED_PARTIES else parties

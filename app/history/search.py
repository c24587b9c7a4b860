"""History's free-text filter `q`: one account's rows whose reference, note, or the name of whoever
is on the other side contains `q`, case-insensitively, newest first.

Two ways find such rows, and neither is always fast on a long history:
- walking the account's entries newest first and testing each: quick when matches are common
  among the newest rows, a scan of the whole account (seconds at a million) when they are rare;
- the trigram indexes (migration 0021): every transaction containing the text, then the
  account's among them, newest first: quick when the text is rare, and a cost that grows with
  how many transactions (of every account) contain it.
PostgreSQL picks one from statistics that assume matches are spread evenly, and searched text
is not ("INV-1" is in no recent reference and in thousands of old ones): it walked a million
rows for a 50-row page. So the choice is made here: walk a bounded window of the newest rows
first, and only if that does not fill the page, search below the window through the indexes.
"""
from __future__ import annotations

from sqlalchemy import Select, and_, or_, select, union

from app.auth.models import User
from app.extensions import db
from app.history.filters import like_pattern
from app.history.presenters import SYSTEM_LABELS
from app.merchant.models import Merchant
from app.wallet.models import Account, Entry, Transaction

# Rows walked before turning to the indexes: a few milliseconds of walking.
WINDOW = 2000
# Past this many accounts named like `q`, they stay a subquery rather than a list of ids.
LISTED_PARTIES = 100


def search_rows(stmt: Select, q: str, account_id: str, before: int | None, limit: int) -> list:
    """`stmt` selects one account's rows (ROW) before its position; up to `limit` of them that
    match `q`, newest first."""
    # One number for both steps: payments arriving between them must neither repeat a row nor
    # slip one in.
    top = before if before is not None else db.session.scalar(
        select(Account.entry_count + 1).where(Account.id == account_id))
    floor = top - WINDOW
    parties = named_accounts(q)
    parts = matching(stmt, q, account_id, parties)
    recent = _newest([part.where(Entry.seq >= floor) for part in parts], Entry.seq.desc(), limit)
    if len(recent) == limit or floor <= 1:  # a full page, or nothing older
        return recent
    # Below the window: ordered by an expression, not the column, so that no plan walks the
    # account's seq index in order again; PostgreSQL then finds the transactions containing the
    # text through the trigram indexes and probes each one's entry in ix_entries_transaction_id,
    # which carries the account and the position (migration 0031: index-only, no heap fetch).
    # The text was a separate IN (subquery OFFSET 0) before: PostgreSQL then hashed it against a
    # scan of the whole transactions table.
    parts = matching(stmt, q, account_id, parties)
    older = _newest_positions(stmt, [part.where(Entry.seq < floor) for part in parts], limit - len(recent))
    return recent + older


def _newest(parts: list[Select], order, limit: int) -> list:
    """The newest `limit` of the union of `parts`: they are among each part's newest `limit`.
    UNION, not UNION ALL: a row matching twice (its note and its counterparty) is one row."""
    found = union(*[part.order_by(order).limit(limit) for part in parts]).subquery()
    return db.session.execute(select(found).order_by(found.c.seq.desc()).limit(limit)).all()


def _newest_positions(stmt: Select, parts: list[Select], limit: int) -> list:
    """As _newest, but the parts select only the position (seq) and the page's rows are read by
    position afterwards: with nothing else of the entry needed, each match is an index-only probe
    (with the whole row, PostgreSQL chose to hash a scan of all the account's entries instead)."""
    order = (Entry.seq + 0).desc()
    found = union(*[part.with_only_columns(Entry.seq).order_by(order).limit(limit) for part in parts]).subquery()
    newest = select(found.c.seq).order_by(found.c.seq.desc()).limit(limit)
    return db.session.execute(stmt.where(Entry.seq.in_(newest)).order_by(Entry.seq.desc())).all()


def matching(stmt: Select, q: str, account_id: str, parties) -> list[Select]:
    """`stmt` narrowed to the rows matching `q`, as separate statements whose union is the answer:
    one OR across the transaction and the other side's name could only be tested row by row.
    `parties`: the accounts named like `q` (named_accounts)."""
    text = or_(Transaction.reference.ilike(like_pattern(q), escape="\\"),
               Transaction.note.ilike(like_pattern(q), escape="\\"))
    found = [stmt.where(text)]
    if parties is not None:
        # The other side is the credit account when this account is the debit one, else the debit
        # account (a merchant's credit bucket is credited for its parent's transaction).
        found.append(stmt.where(or_(
            and_(Transaction.debit_account_id == account_id, Transaction.credit_account_id.in_(parties)),
            and_(Transaction.debit_account_id != account_id, Transaction.debit_account_id.in_(parties)))))
    return found


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

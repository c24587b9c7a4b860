"""Issuing, listing and closing offline purses (README, "Offline terminals", case 3).

Issuing is online: the allowance is held on the wallet (a pending transfer to one of the escrow
system accounts 'offline_purse.0' ... chosen by the purse id: escrow_code, expiring when the purse's validity and the grace period are over, so the
ordinary sweeper `flask ledger expire-holds` returns what is left), and the certificate is signed
with the current issuer key. Closing stops the purse at once (terminals learn it from
/pos/config); what is still held returns after the grace period, for tokens signed before the
close and uploaded late (`flask ledger release-purses`).
"""
from __future__ import annotations

import zlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from app.auth.models import Tier, User
from app.auth.services.pin import require_payment_pin
from app.core import clock
from app.core.errors import AppError, Code, not_found
from app.core.idempotency import IdempotencyRequest, run_once
from app.core.ids import new_id
from app.core.uow import end_read, retrying, unit_of_work
from app.extensions import db
from app.pos.purse import issuer, sequence
from app.pos.purse.models import OfflineFreeze, Purse, PurseToken
from app.wallet import holds, ledger
from app.wallet.models import Account, Transfer, WalletDebt

ESCROW = "offline_purse"  # holds land here when captured, and pay the merchant from here
# Spread over this many escrow accounts per currency, by purse id, so that captures of different
# purses do not queue on one row (purse.sql). Changing it moves no money: a purse keeps the
# account its hold is on, and new purses use the new spread.
ESCROW_BUCKETS = 8
RECEIVABLE = "offline_receivable"  # pays for an overspend the wallet cannot: its debit is what users owe


def present(purse: Purse) -> dict:
    return {"id": purse.id, "wallet_id": purse.wallet_id, "status": purse.status, "currency": purse.currency,
            "allowance": purse.allowance, "max_payment": purse.max_payment, "spent": purse.spent,
            "debt": purse.debt, "frozen_reason": purse.frozen_reason,
            "valid_until": clock.iso(purse.valid_until), "created_at": clock.iso(purse.created_at),
            "closed_at": clock.iso(purse.closed_at) if purse.closed_at else None,
            "release_after": clock.iso(purse.release_after), "gaps": sequence.gaps(purse.id),
            "wallet_debt": _outstanding(purse.wallet_id),
            "certificate": issuer.certificate(purse)}


def escrow_code(purse_id: str) -> str:
    """The escrow account of a new purse: 'offline_purse.<n>', n from a stable hash of its id."""
    return f"{ESCROW}.{zlib.crc32(purse_id.encode()) % ESCROW_BUCKETS}"


def _outstanding(wallet_id: str) -> int:
    """What the wallet still owes for all its purses (collected from the next money in: debts.sql)."""
    debt = db.session.get(WalletDebt, wallet_id)
    return 0 if debt is None else debt.owed - debt.collected


def _wallet(user: User, wallet_id: str) -> Account:
    wallet = db.session.execute(select(Account).filter_by(id=wallet_id, user_id=user.id, kind="user")).scalar_one_or_none()
    if wallet is None:
        raise not_found("wallet")
    return wallet


def create(user: User, wallet_id: str, *, device_key: str, allowance: int, max_payment: int | None,
           validity_days: int, pin: str | None, idem: IdempotencyRequest | None = None) -> tuple[int, dict]:
    """Idempotent like every money-moving POST: the key is claimed in the same unit of work as the
    hold (app.core.idempotency.run_once), so a retry gets the same purse back and holds nothing
    again, and two requests with one key at once make one purse (the second waits on the key's
    row, then reads the first's answer). Refusals after the claim are stored under the key too."""
    cfg = current_app.config
    if allowance > cfg["OFFLINE_PURSE_MAX"] or validity_days > cfg["OFFLINE_PURSE_MAX_DAYS"]:
        raise AppError(Code.VALIDATION_ERROR, "the allowance or the validity is above this server's limit",
                       {"max_allowance": cfg["OFFLINE_PURSE_MAX"], "max_validity_days": cfg["OFFLINE_PURSE_MAX_DAYS"]})
    kid, _ = issuer.signing_key()
    require_payment_pin(user, pin, allowance)  # the whole allowance can be spent with no PIN later

    def work() -> tuple[int, dict]:
        wallet = _wallet(user, wallet_id)
        if wallet.status != "active":
            raise AppError(Code.WALLET_FROZEN, "this wallet is frozen")
        if db.session.get(OfflineFreeze, wallet.id) is not None:
            raise AppError(Code.OFFLINE_FROZEN, "this wallet's offline use is frozen after an overspent purse")
        now = clock.now()
        valid_until = (now + timedelta(days=validity_days)).replace(microsecond=0)
        release_after = valid_until + timedelta(hours=cfg["OFFLINE_PURSE_GRACE_HOURS"])
        purse_id = new_id("prs")
        escrow = ledger.system_account(escrow_code(purse_id), wallet.currency)
        _refuse_above_tier(user, wallet, escrow, allowance, now)
        hold = holds.place_hold(debit_id=wallet.id, credit_id=escrow.id, amount=allowance,
                                currency=wallet.currency, expires_at=release_after, initiator_id=user.id,
                                reference="offline purse")
        purse = Purse(id=purse_id, wallet_id=wallet.id, user_id=user.id, device_key=device_key,
                      currency=wallet.currency, allowance=allowance, max_payment=max_payment or allowance,
                      valid_until=valid_until, issuer_kid=kid, signature="", status="active",
                      hold_txn_id=hold.id, spent=0, debt=0, created_at=now, release_after=release_after)
        purse.signature = issuer.sign(issuer.certificate(purse))
        db.session.add(purse)
        db.session.flush()
        return 201, present(purse)
    return run_once(idem, work)


def _refuse_above_tier(user: User, wallet: Account, escrow: Account, allowance: int, now) -> None:
    """The tier's offline_allowance caps what the wallet's live purses (active, not past
    valid_until) hold together, this one included: one purse at the cap, or several below it, never
    more. The wallet and the escrow account are locked first, FOR NO KEY UPDATE in key order: the
    locks the hold's posting (ledger_post) takes next anyway, in its order, so two purses asked for
    at the same moment queue and the second sees the first, and no new lock order appears."""
    db.session.execute(select(Account.id).where(Account.id.in_([wallet.id, escrow.id])).order_by(Account.id)
                       .with_for_update(key_share=True))
    cap = db.session.get(Tier, user.tier).offline_allowance
    held = int(db.session.execute(select(func.coalesce(func.sum(Purse.allowance), 0)).where(  # SUM is numeric
        Purse.wallet_id == wallet.id, Purse.status == "active", Purse.valid_until > now)).scalar_one())
    if held + allowance > cap:
        raise AppError(Code.LIMIT_EXCEEDED, "this would pass a limit of your tier",
                       {"limit": "offline_allowance", "limit_amount": cap, "remaining": max(cap - held, 0),
                        "currency": wallet.currency, "resets_at": None})



def _purse(user: User, wallet_id: str, purse_id: str) -> Purse:
    purse = db.session.execute(select(Purse).filter_by(id=purse_id, wallet_id=wallet_id, user_id=user.id)).scalar_one_or_none()
    if purse is None:
        raise not_found("purse")
    return purse


def list_purses(user: User, wallet_id: str) -> dict:
    _wallet(user, wallet_id)
    found = db.session.execute(select(Purse).filter_by(wallet_id=wallet_id)
                               .order_by(Purse.created_at.desc()).limit(100)).scalars().all()
    answer = {"data": [present(p) for p in found]}
    end_read()
    return answer


def get(user: User, wallet_id: str, purse_id: str) -> dict:
    answer = present(_purse(user, wallet_id, purse_id))
    end_read()
    return answer


def close(user: User, wallet_id: str, purse_id: str) -> dict:
    """At once: no new tokens are accepted (signed at or after now) and terminals are told. The
    hold waits for the grace period, so the merchants of tokens signed before still get paid
    from it; a second close answers the purse as it stands."""
    with unit_of_work() as uow:
        purse = db.session.execute(select(Purse).filter_by(id=purse_id, wallet_id=wallet_id, user_id=user.id)
                                   .with_for_update()).scalar_one_or_none()
        if purse is None:
            raise not_found("purse")
        if purse.closed_at is None:
            purse.closed_at = clock.now()
            purse.status = "closed" if purse.status == "active" else purse.status
            purse.release_after = min(purse.release_after,
                                      purse.closed_at + timedelta(hours=current_app.config["OFFLINE_PURSE_GRACE_HOURS"]))
        answer = present(purse)
        uow.commit()
    return answer


def overspent() -> dict:
    """The operators' report: each frozen purse, with how many of its tokens were an overspend."""
    rows = db.session.execute(
        select(Purse, OfflineFreeze.created_at, func.count(PurseToken.id),
               func.count(PurseToken.id).filter(PurseToken.overspend))
        .join(OfflineFreeze, OfflineFreeze.purse_id == Purse.id).outerjoin(PurseToken, PurseToken.purse_id == Purse.id)
        .group_by(Purse.id, OfflineFreeze.created_at).order_by(OfflineFreeze.created_at.desc()).limit(100)).all()
    answer = {"data": [{"purse": present(purse), "user_id": purse.user_id, "tokens": tokens,
                        "overspent_tokens": overspent_tokens, "frozen_at": clock.iso(frozen_at)}
                       for purse, frozen_at, tokens, overspent_tokens in rows]}
    end_read()
    return answer


_RELEASE = text("SELECT * FROM hold_settle(:txn_id, 'void_pending', NULL, false, :now, :transfer_id)")


def _unreleased():
    """Purses whose current hold is still unresolved."""
    resolving = aliased(Transfer)
    return (select(Transfer.id).where(Transfer.transaction_id == Purse.hold_txn_id, Transfer.kind == "pending",
                                      ~select(resolving.id).where(resolving.pending_id == Transfer.id).exists())
            .exists())


def release_due(limit: int = 500) -> int:
    """Closed purses past their grace period: what is still held returns to the wallet. (A purse
    that simply expired needs nothing here: its hold expires at its release_after, and the
    sweeper releases it.) Each under its purse's row lock, which captures take first too, so a
    late token and the release cannot both use the same hold (and the purse row comes before the
    wallet and the escrow account, as in a capture)."""
    now = clock.now()
    due = db.session.execute(select(Purse.id).where(Purse.closed_at.is_not(None), Purse.release_after <= now,
                                                    _unreleased()).limit(limit)).scalars().all()
    end_read()
    released = 0
    for purse_id in due:
        def attempt(purse_id=purse_id) -> bool:
            with unit_of_work() as uow:
                purse = db.session.get(Purse, purse_id, with_for_update=True, populate_existing=True)
                still = db.session.execute(select(Purse.id).where(Purse.id == purse_id, _unreleased())).first()
                if still is not None:
                    db.session.execute(_RELEASE, {"txn_id": purse.hold_txn_id, "now": now, "transfer_id": new_id("trf")})
                uow.commit()
                return still is not None
        released += retrying(attempt)
    return released

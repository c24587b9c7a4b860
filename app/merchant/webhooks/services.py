"""Merchant staff manage webhook endpoints and read (and resend) deliveries.

The secret ("whsec_...", app.merchant.webhooks.signing) is shown when it is made and on rotation,
and kept Fernet-encrypted: the worker needs it back to sign (an HMAC key cannot be hashed).
Sending is the worker's job (app.merchant.webhooks.worker); nothing here talks to the network.
"""
from __future__ import annotations

import ipaddress
import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, func, or_, select

from app.auth import crypto
from app.auth.models import User
from app.core import audit, clock
from app.core.errors import AppError, Code, not_found
from app.core.pagination import decode_keyset, encode_keyset
from app.core.ids import new_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.merchant import events
from app.merchant.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.merchant.services import staff_merchant
from app.merchant.webhooks.signing import new_secret

URL_MAX = 2000  # the column's width; longer is refused, not cut


def endpoint_out(endpoint: WebhookEndpoint, secret: str | None = None) -> dict:
    out = {"id": endpoint.id, "merchant_id": endpoint.merchant_id, "url": endpoint.url,
           "events": json.loads(endpoint.events), "status": endpoint.status,
           "created_at": clock.iso(endpoint.created_at),
           "previous_secret_expires_at": clock.iso(previous_expiry(endpoint))}
    if secret is not None:
        out["secret"] = secret
    return out


def previous_expiry(endpoint: WebhookEndpoint) -> datetime | None:
    """Until when the previous secret signs too; None once that time has passed (or never rotated)."""
    until = endpoint.previous_secret_expires_at
    if endpoint.previous_secret is None or until is None or clock.as_utc(until) <= clock.now():
        return None
    return clock.as_utc(until)


def signing_secrets(endpoint: WebhookEndpoint) -> tuple[str, ...]:
    """The secrets a delivery is signed with now: the current one, then the previous one during
    its grace period (the worker calls this when it claims the delivery)."""
    current = crypto.decrypt(endpoint.secret)
    if previous_expiry(endpoint) is None:
        return (current,)
    return current, crypto.decrypt(endpoint.previous_secret)


def _url_invalid(reason: str) -> AppError:
    return AppError(Code.WEBHOOK_URL_INVALID, f"url: {reason}", {"reason": reason})


def public_only() -> bool:
    """Production rules for webhook targets (https, public addresses), unless WEBHOOK_ALLOW_LOCAL."""
    config = current_app.config
    return config["APP_ENV"] == "production" and not config["WEBHOOK_ALLOW_LOCAL"]


def check_url(url: str) -> str:
    """https only in production, http too elsewhere (a receiver on a laptop). No credentials in
    the URL: they would sit in our logs and the merchant's list in clear."""
    strict = public_only()
    if len(url) > URL_MAX:
        raise _url_invalid(f"at most {URL_MAX} characters")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise _url_invalid("no spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise _url_invalid("not a URL") from None
    allowed = ("https",) if strict else ("https", "http")
    if parts.scheme.lower() not in allowed:
        raise _url_invalid(f"the scheme must be {' or '.join(allowed)}")
    if not parts.hostname:
        raise _url_invalid("a host is needed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _url_invalid("no user name or password in the URL")
    if parts.fragment:
        raise _url_invalid("no fragment (#...)")
    if strict and _internal_host(parts.hostname):
        # SSRF guard for literal addresses; a DNS name that resolves inward is refused by the worker
        # when it connects (app.merchant.webhooks.transport).
        raise _url_invalid("the host must be a public address")
    return url


def _internal_host(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def create_endpoint(user: User, merchant_id: str, *, url: str, event_types: list[str]) -> dict:
    url, secret = check_url(url), new_secret()
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="webhooks")
        endpoint = WebhookEndpoint(id=new_id("whe"), merchant_id=merchant.id, url=url,
                                   events=json.dumps(sorted(set(event_types))), secret=crypto.encrypt(secret),
                                   status="active", created_at=clock.now())
        db.session.add(endpoint)
        audit.record("merchant_staff", user.id, "webhook.create", "webhook_endpoint", endpoint.id,
                     after={"merchant_id": merchant.id, "url": url, "events": sorted(set(event_types)),
                            "status": "active"})
        uow.commit()
    return endpoint_out(endpoint, secret)


def list_endpoints(user: User, merchant_id: str) -> list[dict]:
    merchant = staff_merchant(user, merchant_id, may="webhooks")
    rows = db.session.execute(select(WebhookEndpoint).filter_by(merchant_id=merchant.id)
                              .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)).scalars()
    return [endpoint_out(e) for e in rows]


def _owned(user: User, merchant_id: str, endpoint_id: str) -> WebhookEndpoint:
    merchant = staff_merchant(user, merchant_id, may="webhooks")
    endpoint = db.session.execute(select(WebhookEndpoint).filter_by(id=endpoint_id, merchant_id=merchant.id)
                                  .with_for_update()).scalar_one_or_none()
    if endpoint is None:
        raise not_found("webhook endpoint")
    return endpoint


def set_status(user: User, merchant_id: str, endpoint_id: str, status: str) -> dict:
    """A disabled endpoint gets no new deliveries, and the worker sends none of its pending ones
    (they end failed with last_error "endpoint disabled"; retry them by hand once enabled)."""
    with unit_of_work() as uow:
        endpoint = _owned(user, merchant_id, endpoint_id)
        before, endpoint.status = endpoint.status, status
        audit.record("merchant_staff", user.id, "webhook.disable" if status == "disabled" else "webhook.enable",
                     "webhook_endpoint", endpoint.id, before={"status": before},
                     after={"merchant_id": endpoint.merchant_id, "status": status})
        uow.commit()
    return endpoint_out(endpoint)


def rotate_secret(user: User, merchant_id: str, endpoint_id: str) -> dict:
    """A new secret at once: the worker signs every attempt from now on with it, retries of
    older events included. The secret it replaces keeps signing too for
    WEBHOOK_SECRET_GRACE_SECONDS (a second signature in the same header), so the merchant's
    servers can switch to the new one without refusing deliveries meanwhile. Rotating again
    within that time replaces the previous secret: only the last two ever sign."""
    secret, grace = new_secret(), current_app.config["WEBHOOK_SECRET_GRACE_SECONDS"]
    with unit_of_work() as uow:
        endpoint = _owned(user, merchant_id, endpoint_id)
        if grace > 0:
            endpoint.previous_secret = endpoint.secret  # already encrypted: kept as it was stored
            endpoint.previous_secret_expires_at = clock.now() + timedelta(seconds=grace)
        else:
            endpoint.previous_secret, endpoint.previous_secret_expires_at = None, None
        endpoint.secret = crypto.encrypt(secret)
        # No secret in the record, encrypted or not: only that it changed, and until when the old one signs.
        audit.record("merchant_staff", user.id, "webhook.rotate_secret", "webhook_endpoint", endpoint.id,
                     after={"merchant_id": endpoint.merchant_id,
                            "previous_secret_expires_at": clock.iso(endpoint.previous_secret_expires_at)})
        uow.commit()
    return endpoint_out(endpoint, secret)


def send_test(user: User, merchant_id: str, endpoint_id: str) -> dict:
    """A "webhook.test" event to this endpoint only, delivered by the worker like any other."""
    with unit_of_work() as uow:
        endpoint = _owned(user, merchant_id, endpoint_id)
        if endpoint.status != "active":
            raise AppError(Code.CONFLICT, "this endpoint is disabled; enable it first")
        event = events.emit(endpoint.merchant_id, events.TEST_EVENT,
                            {"endpoint_id": endpoint.id, "created_at": clock.iso(clock.now())}, endpoint_id=endpoint.id)
        db.session.flush()
        delivery_id = db.session.execute(select(WebhookDelivery.id).filter_by(event_id=event.id)).scalar_one()
        uow.commit()
    return {"delivery_id": delivery_id, "event_id": event.id}


# --- deliveries ----------------------------------------------------------------------------------

def _after(cursor: str | None):
    """Keyset condition for "older than the cursor's row": (created_at, id) is unique and never
    changes, so new deliveries arriving between pages cannot shift later ones."""
    if cursor is None:
        return None
    created_at, delivery_id = decode_keyset(cursor)
    return or_(WebhookDelivery.created_at < created_at,
               and_(WebhookDelivery.created_at == created_at, WebhookDelivery.id < delivery_id))


def _deliveries_out(rows: list[WebhookDelivery]) -> list[dict]:
    ids = [d.id for d in rows]
    log: dict[str, list[dict]] = {i: [] for i in ids}
    for a in db.session.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids))
                                .order_by(WebhookAttempt.id.desc())).scalars() if ids else ():
        log[a.delivery_id].append({"attempted_at": clock.iso(a.attempted_at), "status_code": a.status_code,
                                   "error": a.error, "duration_ms": a.duration_ms})
    types = dict(db.session.execute(select(WebhookEvent.id, WebhookEvent.type)
                                    .where(WebhookEvent.id.in_({d.event_id for d in rows}))).all()) if ids else {}
    return [{"id": d.id, "event_id": d.event_id, "event_type": types[d.event_id], "endpoint_id": d.endpoint_id,
             "status": d.status, "attempts": d.attempts, "next_attempt_at": clock.iso(d.next_attempt_at),
             "last_status_code": d.last_status_code, "last_error": d.last_error,
             "created_at": clock.iso(d.created_at), "updated_at": clock.iso(d.updated_at), "attempt_log": log[d.id]}
            for d in rows]


def list_deliveries(user: User, merchant_id: str, *, status: str | None, cursor: str | None, limit: int) -> dict:
    """Newest first, each with its attempts (newest first)."""
    merchant = staff_merchant(user, merchant_id, may="webhooks")
    query = select(WebhookDelivery).where(WebhookDelivery.merchant_id == merchant.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    after = _after(cursor)
    if after is not None:
        query = query.where(after)
    rows = list(db.session.execute(query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                                   .limit(limit + 1)).scalars())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"data": _deliveries_out(rows), "has_more": has_more,
            "next_cursor": encode_keyset(rows[-1].created_at, rows[-1].id) if has_more and rows else None}


def retry_delivery(user: User, merchant_id: str, delivery_id: str) -> dict:
    """Back to pending, due now. Its attempt count is kept: a failed delivery retried by hand gets
    one more attempt, not a new day of them."""
    with unit_of_work() as uow:
        merchant = staff_merchant(user, merchant_id, may="webhooks")
        # FOR UPDATE: the worker claims with SKIP LOCKED and records results under this lock too.
        delivery = db.session.execute(select(WebhookDelivery).filter_by(id=delivery_id, merchant_id=merchant.id)
                                      .with_for_update()).scalar_one_or_none()
        if delivery is None:
            raise not_found("webhook delivery")
        if delivery.status == "succeeded":
            raise AppError(Code.DELIVERY_NOT_RETRYABLE, "this delivery already succeeded",
                           {"status": delivery.status})
        if db.session.get(WebhookEndpoint, delivery.endpoint_id).status != "active":
            raise AppError(Code.DELIVERY_NOT_RETRYABLE, "its endpoint is disabled; enable it first",
                           {"status": delivery.status})
        logged = db.session.execute(select(func.count()).select_from(WebhookAttempt)
                                    .where(WebhookAttempt.delivery_id == delivery.id)).scalar_one()
        now = clock.now()
        # A worker holds a lease on it while it is being sent (an attempt counted, not yet logged,
        # lease not over): making it due now would let a second worker send it at the same time.
        in_flight = (delivery.status == "pending" and delivery.attempts > logged
                     and clock.as_utc(delivery.next_attempt_at) > now)
        if not in_flight:
            delivery.status, delivery.next_attempt_at, delivery.updated_at = "pending", now, now
        db.session.flush()
        out = _deliveries_out([delivery])[0]
        uow.commit()
    return out

"""The one helper every service calls to leave an audit record, inside its own unit of work.

    audit.record("merchant_staff", user.id, "terminal.disable", "terminal", terminal.id,
                 before={"status": "active"}, after={"status": "disabled"})

Call it as the last statement before uow.commit(): it takes the chain's lock (app/core/sql/audit.sql)
and holds it until the commit. The record is written in the caller's transaction, so it exists
exactly when the change does. The address is the request's (behind TRUSTED_PROXY_COUNT proxies,
ProxyFix has already put the client's there); a CLI or worker action has none.
"""
from __future__ import annotations

import json

from flask import has_request_context, request
from sqlalchemy import text

from app.core import clock
from app.extensions import db

_APPEND = text("SELECT audit_append(:actor_type, :actor_id, :action, :object_type, :object_id, "
               "CAST(:before AS jsonb), CAST(:after AS jsonb), :reason, :ip, :now)")


def client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(actor_type: str, actor_id: str, action: str, object_type: str, object_id: str, *,
           before: dict | None = None, after: dict | None = None, reason: str | None = None) -> int:
    """Append one record; answers its sequence number."""
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.flush()  # the change being recorded goes first: a failing change leaves no record
    return db.session.execute(_APPEND, {
        "actor_type": actor_type, "actor_id": actor_id, "action": action, "object_type": object_type,
        "object_id": object_id, "before": None if before is None else json.dumps(before),
        "after": None if after is None else json.dumps(after), "reason": reason, "ip": client_address(),
        "now": clock.now()}).scalar_one()

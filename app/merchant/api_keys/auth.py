"""Authenticating a merchant's server: `Authorization: Bearer mk_...` on /api/v1/merchant/...

Only API keys are accepted here. A user's access token is refused (401 invalid_api_key): staff
act through the staff endpoints, and a stolen phone session must not reach the merchant's
orders and refunds. The other way round, an API key is not a JWT, so every user endpoint
(app.auth.current) already refuses it.
"""
from __future__ import annotations

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag

from app.core.errors import AppError, Code
from app.core.uow import end_read
from app.extensions import db
from app.merchant.api_keys import services as api_keys
from app.merchant.models import Merchant

SECURITY_SCHEMES = {"merchantApiKey": {"type": "http", "scheme": "bearer",
                                       "description": "a merchant API key (mk_...), not a user token"}}
MAX_KEY_LENGTH = 100  # ours are 43 characters; anything much longer is not worth hashing


def authenticate_api_key() -> None:
    """before_request hook of the merchant_server_api blueprint."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AppError(Code.UNAUTHORIZED, "send Authorization: Bearer <merchant API key>")
    if not token.startswith(api_keys.KEY_PREFIX) or len(token) > MAX_KEY_LENGTH:
        raise AppError(Code.INVALID_API_KEY, "this endpoint takes a merchant API key (mk_...), not a user token")
    key = api_keys.find_active(token)
    if key is None:
        raise AppError(Code.INVALID_API_KEY, "this API key is unknown or revoked")
    merchant = db.session.get(Merchant, key.merchant_id)
    if merchant is None or merchant.status != "active":
        raise AppError(Code.FORBIDDEN, "this merchant is not active")
    key_id, touch = key.id, api_keys.due_for_touch(key)
    # Detached and the read transaction ended, as app.auth.current does for users: services open
    # their own units of work and must not find a transaction already running.
    db.session.expunge(merchant)
    end_read()
    if touch:
        api_keys.touch(key_id)
    g.merchant, g.merchant_id, g.api_key_id = merchant, merchant.id, key_id


def current_merchant() -> Merchant:
    """The merchant whose key signed this request (detached: read its columns, do not change it)."""
    return g.merchant


def current_api_key_id() -> str:
    return g.api_key_id


def merchant_server_blueprint(name: str, import_name: str) -> APIBlueprint:
    """A blueprint under /api/v1/merchant for the merchant's own servers: every request carries
    `Authorization: Bearer <API key>`."""
    blueprint = APIBlueprint(name, import_name, url_prefix="/api/v1/merchant", abp_security=[{"merchantApiKey": []}],
                             abp_tags=[Tag(name="merchant API")])
    blueprint.before_request(authenticate_api_key)
    return blueprint

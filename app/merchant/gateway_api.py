"""Blueprints of the merchant gateway. Route modules add their endpoints to these.

- merchant_server_api: /api/v1/merchant/..., called by the merchant's own servers with
  `Authorization: Bearer <API key>` (app.merchant.api_key_auth).
- staff endpoints (/api/v1/merchants/{id}/api-keys, /webhooks, /transactions, ...) go on
  app.merchant.routes.merchant_api, which signs staff in with their user token.
"""
from flask_openapi3 import APIBlueprint, Tag

from app.merchant.api_key_auth import authenticate_api_key

merchant_server_api = APIBlueprint("merchant_server", __name__, url_prefix="/api/v1/merchant",
                                   abp_security=[{"merchantApiKey": []}], abp_tags=[Tag(name="merchant API")])
merchant_server_api.before_request(authenticate_api_key)  # every /api/v1/merchant/... endpoint

SECURITY_SCHEMES = {"merchantApiKey": {"type": "http", "scheme": "bearer",
                                       "description": "a merchant API key (mk_...), not a user token"}}

"""Loads every merchant-gateway route module (each adds endpoints to its blueprint)."""
from app.merchant import api_key_routes, order_routes, transaction_routes, webhook_routes  # noqa: F401
from app.merchant.gateway_api import SECURITY_SCHEMES, merchant_server_api

__all__ = ["merchant_server_api", "SECURITY_SCHEMES"]

"""Loads every POS route module (each adds endpoints to the blueprints in app.pos.api)."""
from app.pos import batch_routes, charge_routes, payment_request_routes, terminal_routes, vending_routes  # noqa: F401
from app.pos.api import SECURITY_SCHEMES, pos_api, staff_api

__all__ = ["pos_api", "staff_api", "SECURITY_SCHEMES"]

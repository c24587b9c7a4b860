"""Merchant staff endpoints for terminals, and the terminal's own configuration endpoint."""
from flask import current_app

from app.auth.current import current_user, user_blueprint
from app.core import clock
from app.extensions import db
from app.merchant.models import Merchant
from app.pos import signing
from app.pos.offline import limits as offline_limits
from app.pos.purse import issuer as purse_issuer
from app.pos.terminals import services as terminals
from app.pos.auth import current_terminal, terminal_blueprint
from app.pos.terminals.schemas import (MerchantTerminalsPath, RegisterTerminalBody, TerminalConfig, TerminalList, TerminalOut,
                             TerminalPath)

terminals_api = user_blueprint("pos_terminals", __name__, "terminals")
terminal_config_api = terminal_blueprint("pos_config", __name__)


@terminals_api.post("/merchants/<merchant_id>/terminals", responses={201: TerminalOut})
def register_terminal(path: MerchantTerminalsPath, body: RegisterTerminalBody):
    """Register a shop terminal or vending machine; its secret is in this answer only."""
    return terminals.register(current_user(), path.merchant_id, kind=body.kind, label=body.label), 201


@terminals_api.get("/merchants/<merchant_id>/terminals", responses={200: TerminalList})
def list_terminals(path: MerchantTerminalsPath):
    """The merchant's terminals, without secrets."""
    return {"data": terminals.list_terminals(current_user(), path.merchant_id)}


@terminals_api.post("/merchants/<merchant_id>/terminals/<terminal_id>/disable", responses={200: TerminalOut})
def disable_terminal(path: TerminalPath):
    """Refuse the terminal's requests from now on."""
    return terminals.set_status(current_user(), path.merchant_id, path.terminal_id, "disabled")


@terminals_api.post("/merchants/<merchant_id>/terminals/<terminal_id>/enable", responses={200: TerminalOut})
def enable_terminal(path: TerminalPath):
    """Accept the terminal's requests again."""
    return terminals.set_status(current_user(), path.merchant_id, path.terminal_id, "active")


@terminals_api.post("/merchants/<merchant_id>/terminals/<terminal_id>/rotate-secret", responses={200: TerminalOut})
def rotate_terminal_secret(path: TerminalPath):
    """A new secret; the old one stops working at once."""
    return terminals.rotate_secret(current_user(), path.merchant_id, path.terminal_id)


@terminal_config_api.get("/config", responses={200: TerminalConfig})
def terminal_config():
    """The terminal's settings and the server's clock (unix seconds), to correct its own."""
    terminal, cfg = current_terminal(), current_app.config
    merchant = db.session.get(Merchant, terminal.merchant_id)
    return {"terminal_id": terminal.id, "merchant_id": terminal.merchant_id, "kind": terminal.kind,
            "label": terminal.label, "currency": merchant.currency, "no_pin_amount": cfg["NO_PIN_AMOUNT"],
            "hold_expires_in": cfg["HOLD_EXPIRES_IN"], "confirmation_expires_in": cfg["CHARGE_CONFIRMATION_TTL"],
            "max_clock_skew": signing.MAX_SKEW_SECONDS, "server_time": int(clock.now().timestamp()),
            "offline": offline_limits.config_section(terminal, merchant) | {"purse": purse_issuer.config_section()}}


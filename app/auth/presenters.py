"""Users -> JSON."""
from flask import current_app

from app.auth.models import User
from app.core import clock


def user_out(user: User) -> dict:
    return {"id": user.id, "name": user.name, "phone": user.phone, "email": user.email, "role": user.role,
            "verified": user.verified, "created_at": clock.as_utc(user.created_at).isoformat()}


def me_out(user: User) -> dict:
    cfg = current_app.config
    return user_out(user) | {
        "pin_set": user.pin_hash is not None, "totp_enabled": user.totp_enabled,
        "limits": {"no_pin_amount": cfg["NO_PIN_AMOUNT"], "max_amount": cfg["MAX_AMOUNT"],
                   "max_wallet_balance": cfg["MAX_WALLET_BALANCE"]}}

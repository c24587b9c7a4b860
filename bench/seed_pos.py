"""Seeding for the terminal side, in the seed's app context (bench/seed.py calls these):
payment-code devices for users, one POS terminal per merchant, one webhook endpoint per merchant.

All through the app's own services (app.qr.devices.services, app.pos.terminals.services, app.merchant.webhooks.services),
so secrets are made and stored encrypted exactly as for real clients; the seed keeps the
plaintext secrets that the registration answers show once, for the load generator.
"""
from __future__ import annotations



def register_devices(app, user_ids: list[str], wanted: int) -> dict:
    """`wanted` devices spread round-robin over the users (so charges spread over wallets too),
    at most MAX_ACTIVE_DEVICES per user: the app refuses more, and so would a real phone farm."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db
    from app.qr.devices.services import MAX_ACTIVE_DEVICES, register_device

    count = min(wanted, len(user_ids) * MAX_ACTIVE_DEVICES)
    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(user_ids))).scalars()}
    devices, prefix = [], None
    for j in range(count):
        answer = register_device(users[user_ids[j % len(user_ids)]], f"Bench phone {j}")
        prefix = answer["prefix"]
        # Slot 0: each bench user has one wallet, the first in GET /wallets.
        devices.append({"handle": answer["handle"], "secret": answer["secret"], "slot": 0})
    return {"prefix": prefix, "period": app.config["PAYMENT_CODE_PERIOD"], "wanted": wanted,
            "capped_at": len(user_ids) * MAX_ACTIVE_DEVICES if count < wanted else None, "devices": devices}


def register_terminal(owner, merchant_id: str, kind: str = "pos") -> dict:
    from app.pos.terminals.services import register

    answer = register(owner, merchant_id, kind=kind, label=f"Bench {kind} 1")
    return {"id": answer["id"], "secret": answer["secret"]}


def register_webhook(app, owner, merchant_id: str, base_url: str) -> dict:
    """An endpoint subscribed to every event type, at <base_url><merchant id> so the receiver
    knows which secret verifies each delivery."""
    from app.merchant.events import SUBSCRIBABLE
    from app.merchant.webhooks.services import create_endpoint

    # The receiver is http on 127.0.0.1: allowed by WEBHOOK_ALLOW_LOCAL in the bench's environment.
    answer = create_endpoint(owner, merchant_id, url=base_url + merchant_id, event_types=list(SUBSCRIBABLE))
    return {"id": answer["id"], "url": answer["url"], "secret": answer["secret"]}

"""The fee settings row. Fees themselves are charged in the posting (app/wallet/sql/fees.sql; the
arithmetic in app/wallet/fee_rules.py); the table fee_settings is the global configuration, seeded
with no fees by migration 0032 and changed by finance operators (PUT /api/v1/admin/fees, audited)."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from app.wallet.models import FeeSettings


def seed_fee_settings(connection) -> None:
    """The one 'global' row, with no fees, where missing (a fresh database, or tests after TRUNCATE).
    An existing row keeps what finance set."""
    connection.execute(insert(FeeSettings).values(id="global").on_conflict_do_nothing())

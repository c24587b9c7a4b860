"""Tiers: an admin sets a user's tier and a tier's limits (app.wallet.limits reads them; the
posting enforces them). Both changes are audited in their own transaction."""

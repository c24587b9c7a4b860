"""Running the wallet: operator roles, adjustments with a second pair of eyes, the audit trail.
(Tiers and limits, freezes and fees are not built yet: README, Running the wallet.)"""

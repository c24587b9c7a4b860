"""Running the wallet: tiers (ops/tiers writes them; the posting checks them), operator roles,
adjustments with a second pair of eyes, the audit trail. (Freezes and fees are not built yet:
README, Running the wallet.)"""

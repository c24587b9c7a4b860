"""The app's settings for a test run: its own instance folder, the test database and Redis, keys
of its own, and argon2 at its cheapest. Used by the shared `app` fixture and by tests that need
an app of their own with one setting changed."""
from __future__ import annotations

import secrets

from cryptography.fernet import Fernet

from tests.support.env import TEST_DATABASE_URL, TEST_REDIS_URL


def app_settings(tmp_path_factory) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    prefix = f"test{secrets.token_hex(3)}"  # keys of this run (and this xdist worker) only
    return {
        "INSTANCE_PATH": str(instance),
        "APP_ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_PREFIX": f"{prefix}:",
        "RATELIMIT_STORAGE_URI": TEST_REDIS_URL or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"{prefix}-limits"},  # limiter.reset() clears only these
        "SECRET_KEY": secrets.token_urlsafe(32),
        "JWT_KEYS": [("test1", secrets.token_urlsafe(40))],
        "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "HASH_PEPPER": secrets.token_urlsafe(32),
        "OTP_OUTBOX": str(instance / "outbox.jsonl"),
        # argon2 at its cheapest: the tests exercise the logic, not the cost.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        # Tiers that do not get in the way of tests about something else (beyond MAX_WALLET_BALANCE,
        # so its own refusal still shows); tests of the limits set the numbers they test (tests/support/tiers.py).
        "TIERS": {name: dict.fromkeys(("max_payment", "daily_out", "monthly_out", "max_balance", "max_topup",
                                       "offline_allowance"), 10**12) for name in ("basic", "verified")},
    }

"""Settings from the environment.

Three kinds of run, chosen by APP_ENV:
- development (the default): a private PostgreSQL under instance/ (app.core.embedded_postgres)
  and in-process fallbacks unless DATABASE_URL / REDIS_URL say otherwise; secrets are generated
  on first run and kept in instance/.
- testing: like development, but the test suite passes its own database and secrets.
- production: refuses to start unless every secret and DATABASE_URL come from the environment.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

SECRET_NAMES = ("SECRET_KEY", "JWT_SIGNING_KEYS", "DATA_ENCRYPTION_KEY", "HASH_PEPPER")


class ConfigError(RuntimeError):
    """The app cannot start with these settings."""


# Minor units of the wallet's currency: largest payment, outgoing per day and per month, largest
# balance, largest top-up, offline purse allowance.
DEFAULT_TIERS = {
    "basic": {"max_payment": 50_000, "daily_out": 100_000, "monthly_out": 500_000, "max_balance": 500_000,
              "max_topup": 50_000, "offline_allowance": 5_000},
    "verified": {"max_payment": 500_000, "daily_out": 1_000_000, "monthly_out": 5_000_000, "max_balance": 5_000_000,
                 "max_topup": 500_000, "offline_allowance": 20_000},
}


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _generate_secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEYS": f"k{secrets.token_hex(4)}:{secrets.token_urlsafe(48)}",
        "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "HASH_PEPPER": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def _development_secrets(instance_path: Path) -> dict[str, str]:
    """Random secrets made once per checkout and kept in instance/secrets.json (mode 0600)."""
    path = instance_path / "secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
        if all(name in stored for name in SECRET_NAMES):
            return stored
    instance_path.mkdir(parents=True, exist_ok=True)
    generated = _generate_secrets()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(generated, fh, indent=2)
    return generated


def _purse_keys(env: dict, app_env: str, instance_path: Path) -> str:
    """PURSE_ISSUER_KEYS: from the environment in production (no default: without it offline
    purses are off, and issuing one answers 503), else generated once and kept beside the other
    development secrets (added to secrets.json, the others untouched)."""
    if env.get("PURSE_ISSUER_KEYS") or app_env == "production":
        return env.get("PURSE_ISSUER_KEYS", "")
    path = instance_path / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if not stored.get("PURSE_ISSUER_KEYS"):
        seed = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        stored["PURSE_ISSUER_KEYS"] = f"p{secrets.token_hex(4)}:{seed}"
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
    return stored["PURSE_ISSUER_KEYS"]


def parse_purse_keys(raw: str) -> list[tuple[str, bytes]]:
    """`kid1:seed1,kid2:seed2` (each seed 32 bytes, base64url) -> [(kid, seed)]: the first signs new
    certificates; all are published to terminals, so certificates of a retired key stay valid
    until they expire. Rotate by putting a new key first, and drop the old one after the longest
    validity plus the grace period."""
    keys = []
    for part in filter(None, raw.split(",")):
        kid, sep, seed = part.strip().partition(":")
        try:
            raw_seed = base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4))
        except ValueError:
            raw_seed = b""
        if not sep or not kid or len(kid) > 16 or len(raw_seed) != 32:
            raise ConfigError("PURSE_ISSUER_KEYS must be 'kid:seed' pairs, each seed 32 bytes in base64url")
        keys.append((kid, raw_seed))
    return keys


def parse_jwt_keys(raw: str) -> list[tuple[str, str]]:
    """`kid1:secret1,kid2:secret2` -> [(kid, secret)]; the first key signs, all verify."""
    keys = []
    for part in raw.split(","):
        kid, sep, secret = part.strip().partition(":")
        if not sep or not kid or len(secret) < 32:
            raise ConfigError("JWT_SIGNING_KEYS must be 'kid:secret' pairs with secrets of 32+ chars")
        keys.append((kid, secret))
    return keys


def load_config(instance_path: Path, env: dict | None = None) -> dict:
    env = dict(os.environ if env is None else env)
    app_env = env.get("APP_ENV", "development")
    if app_env not in {"development", "testing", "production"}:
        raise ConfigError(f"APP_ENV must be development, testing or production, not {app_env!r}")

    if app_env == "production":
        missing = [name for name in (*SECRET_NAMES, "DATABASE_URL") if not env.get(name)]
        if missing:
            raise ConfigError(f"production needs these settings from the environment: {', '.join(missing)}")
        found = {name: env[name] for name in SECRET_NAMES}
    else:
        found = _development_secrets(instance_path)
        found.update({name: env[name] for name in SECRET_NAMES if env.get(name)})

    database_url = env.get("DATABASE_URL") or None  # None: the embedded server, started by create_app
    if database_url and not database_url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigError("DATABASE_URL must be a PostgreSQL URL (postgresql://user@host/db): PostgreSQL is the one engine")
    if database_url and database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url and database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    max_amount = _int(env, "MAX_AMOUNT", 100_000_000)
    config = {
        "APP_ENV": app_env,
        "TESTING": app_env == "testing",
        **found,
        "JWT_KEYS": parse_jwt_keys(found["JWT_SIGNING_KEYS"]),
        "PURSE_ISSUER_KEYS": parse_purse_keys(_purse_keys(env, app_env, instance_path)),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": env.get("REDIS_URL") or None,
        "MAX_CONTENT_LENGTH": _int(env, "MAX_BODY_BYTES", 64 * 1024),
        # Seconds the production server (app.core.rsgi_bridge) waits for a whole request body:
        # slower is 408 request_timeout, so a client dripping bytes cannot hold its place.
        "REQUEST_BODY_TIMEOUT": _int(env, "REQUEST_BODY_TIMEOUT", 10),
        "MAX_JSON_DEPTH": _int(env, "MAX_JSON_DEPTH", 32),  # deeper request bodies are 422 (app.core.guards)
        # Money
        "DEFAULT_CURRENCY": env.get("DEFAULT_CURRENCY", "USD").upper(),
        "MAX_AMOUNT": max_amount,
        "MAX_WALLET_BALANCE": _int(env, "MAX_WALLET_BALANCE", 100_000_000),
        "NO_PIN_AMOUNT": _int(env, "NO_PIN_AMOUNT", 10_000),
        # The tiers a fresh database starts with (`flask tiers seed`; migration 0025 seeds the same
        # defaults); after that the tiers table is the configuration, changed by admins (audited).
        "TIERS": json.loads(env["TIERS"]) if env.get("TIERS") else DEFAULT_TIERS,
        "IDEMPOTENCY_TTL_HOURS": _int(env, "IDEMPOTENCY_TTL_HOURS", 48),
        "TOPUP_PROVIDER": env.get("TOPUP_PROVIDER", "sandbox"),
        # Merchant-presented QR codes: our identifier in the EMV merchant account template.
        "QR_GUID": env.get("QR_GUID", "app.wallet.pay"),
        "QR_DEFAULT_EXPIRES_IN": _int(env, "QR_DEFAULT_EXPIRES_IN", 300),
        # Online orders: the link a shop's page opens on a phone, with ?payload=<the EMV code>.
        "DEEP_LINK_BASE": env.get("DEEP_LINK_BASE", "walletapp://pay"),
        # Terminals
        "HOLD_EXPIRES_IN": _int(env, "HOLD_EXPIRES_IN", 600),
        "CHARGE_CONFIRMATION_TTL": _int(env, "CHARGE_CONFIRMATION_TTL", 60),
        "REVERSAL_WINDOW": _int(env, "REVERSAL_WINDOW", 600),
        # Long polls (?wait=N) sleeping at once per process (app.core.notify); one more is 503
        # too_many_waiters. Half of a worker's Flask threads, so waiting terminals never take more
        # than half of them: app.serve sets it (4 of 8); 2 fits gunicorn at --threads 4.
        "LONG_POLL_MAX_WAITERS": _int(env, "LONG_POLL_MAX_WAITERS", 2),
        # Webhooks (app.merchant.webhooks.worker): seconds per attempt, between attempts, and how
        # long a claimed delivery stays leased to the worker sending it.
        "WEBHOOK_TIMEOUT": _int(env, "WEBHOOK_TIMEOUT", 5),
        "WEBHOOK_RETRY_SCHEDULE": env.get("WEBHOOK_RETRY_SCHEDULE", "5,30,120,600,1800,3600,7200,14400,28800,43200"),
        "WEBHOOK_LEASE": _int(env, "WEBHOOK_LEASE", 60),
        # 50 per round (sent in parallel): at 10 one worker delivered ~120/s, fewer than the QR
        # payments/s one server takes, and the outbox grew; at 50, ~290/s (python -m bench).
        "WEBHOOK_BATCH": _int(env, "WEBHOOK_BATCH", 50),
        "WEBHOOK_POLL_INTERVAL": _int(env, "WEBHOOK_POLL_INTERVAL", 1),
        # After a secret's rotation the previous secret signs too for this long (0: not at all),
        # so a merchant's servers can switch without refusing deliveries meanwhile.
        "WEBHOOK_SECRET_GRACE_SECONDS": _int(env, "WEBHOOK_SECRET_GRACE_SECONDS", 24 * 3600),
        # Staging and benchmarks only: webhook URLs may be http and point at private or loopback
        # addresses even with APP_ENV=production. Never with real merchants (it opens SSRF).
        "WEBHOOK_ALLOW_LOCAL": _bool(env, "WEBHOOK_ALLOW_LOCAL", False),
        # Tokens
        "JWT_ISSUER": env.get("JWT_ISSUER", "wallet"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "wallet-api"),
        "ACCESS_TOKEN_TTL": _int(env, "ACCESS_TOKEN_TTL", 15 * 60),
        "REFRESH_TOKEN_TTL": _int(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        "JWT_LEEWAY": _int(env, "JWT_LEEWAY", 5),
        # OTP and lockouts
        "OTP_SENDER": env.get("OTP_SENDER", "log"),
        "OTP_OUTBOX": env.get("OTP_OUTBOX", str(instance_path / "outbox.jsonl")),
        "OTP_TTL": _int(env, "OTP_TTL", 300),
        "OTP_MAX_ATTEMPTS": _int(env, "OTP_MAX_ATTEMPTS", 5),
        "OTP_RESEND_INTERVAL": _int(env, "OTP_RESEND_INTERVAL", 60),
        "OTP_MAX_PER_HOUR": _int(env, "OTP_MAX_PER_HOUR", 5),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_SECONDS": _int(env, "LOGIN_LOCK_SECONDS", 15 * 60),
        "PIN_MAX_FAILURES": _int(env, "PIN_MAX_FAILURES", 5),
        # Lifting one's own freeze needs a sign-in this recent (seconds), besides the PIN.
        "FRESH_SIGN_IN_SECONDS": _int(env, "FRESH_SIGN_IN_SECONDS", 300),
        "PIN_LOCK_SECONDS": _int(env, "PIN_LOCK_SECONDS", 30 * 60),
        "PASSWORD_MIN_LENGTH": _int(env, "PASSWORD_MIN_LENGTH", 10),
        # Consumer payment codes (app.qr.payment_codes): prefix + device handle + wallet slot + TOTP
        "PAYMENT_CODE_PREFIX": env.get("PAYMENT_CODE_PREFIX", "28"),
        "PAYMENT_CODE_PERIOD": _int(env, "PAYMENT_CODE_PERIOD", 30),
        "PAYMENT_CODE_MAX_FAILURES": _int(env, "PAYMENT_CODE_MAX_FAILURES", 10),
        "PAYMENT_CODE_FAILURE_WINDOW": _int(env, "PAYMENT_CODE_FAILURE_WINDOW", 10 * 60),
        # Offline terminals (app.pos.offline): the defaults of each terminal's offline limits (staff
        # set their own per terminal), how long a terminal-made code can be paid, and the upload cap.
        "OFFLINE_MAX_SALE": _int(env, "OFFLINE_MAX_SALE", 5_000),
        "OFFLINE_MAX_TOTAL": _int(env, "OFFLINE_MAX_TOTAL", 50_000),
        "OFFLINE_MAX_COUNT": _int(env, "OFFLINE_MAX_COUNT", 100),
        "OFFLINE_MAX_HOURS": _int(env, "OFFLINE_MAX_HOURS", 24),
        "OFFLINE_CODE_TTL": _int(env, "OFFLINE_CODE_TTL", 600),
        "OFFLINE_UPLOAD_MAX_RECORDS": _int(env, "OFFLINE_UPLOAD_MAX_RECORDS", 200),
        "OFFLINE_PURSE_MAX": _int(env, "OFFLINE_PURSE_MAX", 5_000),
        "OFFLINE_PURSE_MAX_DAYS": _int(env, "OFFLINE_PURSE_MAX_DAYS", 30),
        "OFFLINE_PURSE_GRACE_HOURS": _int(env, "OFFLINE_PURSE_GRACE_HOURS", 72),
        # Rate limits (Flask-Limiter syntax). Per identifier strict, per address generous:
        # many phones share one address behind carrier NAT.
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "LIMIT_REGISTER_PER_IP": env.get("LIMIT_REGISTER_PER_IP", "100/hour"),
        "LIMIT_LOGIN_PER_IP": env.get("LIMIT_LOGIN_PER_IP", "300/hour"),
        "LIMIT_LOGIN_PER_IDENTIFIER": env.get("LIMIT_LOGIN_PER_IDENTIFIER", "10/minute;30/hour"),
        "LIMIT_OTP_PER_IP": env.get("LIMIT_OTP_PER_IP", "300/hour"),
        "LIMIT_OTP_PER_IDENTIFIER": env.get("LIMIT_OTP_PER_IDENTIFIER", "10/hour"),
        "LIMIT_VERIFY_PER_IP": env.get("LIMIT_VERIFY_PER_IP", "300/hour"),
        "LIMIT_VERIFY_PER_IDENTIFIER": env.get("LIMIT_VERIFY_PER_IDENTIFIER", "20/hour"),
        "LIMIT_QR_IMAGE_PER_IP": env.get("LIMIT_QR_IMAGE_PER_IP", "600/minute"),
        "TRUSTED_PROXY_COUNT": _int(env, "TRUSTED_PROXY_COUNT", 0),
        # Watching it (app.core.observability): GET /metrics answers only this bearer token (unset:
        # 404); REQUEST_LOG=0 turns off the JSON line per request.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "REQUEST_LOG": _bool(env, "REQUEST_LOG", True),
        # Set by bin/run (app.serve) after it seeds the demo users: the sign-in pages list them with
        # their password (app.demo_signins). Off unless set; refused in production (below).
        "DEMO_SIGNINS": _bool(env, "DEMO_SIGNINS", False),
        # Benchmarks only (app.core.sql_counts): count statements and round trips into this directory.
        "SQL_COUNTS_DIR": env.get("SQL_COUNTS_DIR") or None,
        # Delivery settings read by app.auth.senders
        **{k: env[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USERNAME", "SMTP_PASSWORD",
                               "SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN") if env.get(k)},
        "SMTP_STARTTLS": _bool(env, "SMTP_STARTTLS", False),
        "SMTP_SSL": _bool(env, "SMTP_SSL", False),
    }
    if config["NO_PIN_AMOUNT"] < 0 or max_amount <= 0:
        raise ConfigError("NO_PIN_AMOUNT must be >= 0 and MAX_AMOUNT > 0")
    if not (len(config["PAYMENT_CODE_PREFIX"]) == 2 and config["PAYMENT_CODE_PREFIX"].isdigit()):
        raise ConfigError("PAYMENT_CODE_PREFIX must be exactly two digits")
    if min(config["OFFLINE_MAX_SALE"], config["OFFLINE_MAX_TOTAL"], config["OFFLINE_MAX_COUNT"],
           config["OFFLINE_MAX_HOURS"], config["OFFLINE_CODE_TTL"], config["OFFLINE_UPLOAD_MAX_RECORDS"], config["OFFLINE_PURSE_MAX"],
           config["OFFLINE_PURSE_MAX_DAYS"], config["OFFLINE_PURSE_GRACE_HOURS"]) <= 0:
        raise ConfigError("the OFFLINE_* settings must be positive")
    if min(config["PAYMENT_CODE_PERIOD"], config["PAYMENT_CODE_MAX_FAILURES"],
           config["PAYMENT_CODE_FAILURE_WINDOW"]) <= 0:
        raise ConfigError("PAYMENT_CODE_PERIOD, _MAX_FAILURES and _FAILURE_WINDOW must be positive")
    if config["DEMO_SIGNINS"] and app_env == "production":
        raise ConfigError("DEMO_SIGNINS would print the demo password on the sign-in pages: not in production")
    _check_webhook_settings(config)
    return config


def _check_webhook_settings(config: dict) -> None:
    try:
        delays = [int(x) for x in config["WEBHOOK_RETRY_SCHEDULE"].split(",") if x.strip()]
    except ValueError as exc:
        raise ConfigError("WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, e.g. 5,30,120") from exc
    if any(d < 0 for d in delays):
        raise ConfigError("WEBHOOK_RETRY_SCHEDULE must hold seconds >= 0")
    if min(config["WEBHOOK_TIMEOUT"], config["WEBHOOK_BATCH"], config["WEBHOOK_POLL_INTERVAL"]) <= 0:
        raise ConfigError("WEBHOOK_TIMEOUT, WEBHOOK_BATCH and WEBHOOK_POLL_INTERVAL must be positive")
    # A round sends its deliveries in parallel, each within the timeout: the lease must outlast
    # it, or a second worker could take a delivery that is still being sent.
    if config["WEBHOOK_LEASE"] <= config["WEBHOOK_TIMEOUT"]:
        raise ConfigError("WEBHOOK_LEASE must be longer than WEBHOOK_TIMEOUT")

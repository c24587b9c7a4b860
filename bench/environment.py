"""The benchmark's world: per-run secrets, a fresh database built by Alembic, an empty Redis db.

Every app process of a run (migration, seeding, servers, ledger verify) gets the same
environment from `app_env`: APP_ENV=production with secrets generated for this run, so nothing
is written to instance/ and the tokens the seeder issues are valid for the servers.
"""
from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"


def app_env(database_url: str, redis_url: str, *, token_ttl: int, code_period: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "APP_ENV": "production",
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEYS": f"bench{secrets.token_hex(3)}:{secrets.token_urlsafe(48)}",
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),  # a Fernet key
        "HASH_PEPPER": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # The benchmark measures payments, not the limiter (every request comes from 127.0.0.1).
        "RATELIMIT_ENABLED": "false",
        # The merchants' webhook receiver is http on 127.0.0.1 (bench/receiver.py).
        "WEBHOOK_ALLOW_LOCAL": "true",
        # Tokens are issued once at seed time and must outlive the whole run.
        "ACCESS_TOKEN_TTL": str(token_ttl),
        "PYTHONUNBUFFERED": "1",
    })
    if code_period:
        # A payment code is usable once per device per period, so the devices to seed grow with
        # the period (rate x period); a shorter one than production's 30 s keeps seeding fast.
        env["PAYMENT_CODE_PERIOD"] = str(code_period)
    return env


def with_database(url: str, name: str) -> str:
    """`url` (any database on the server, a TCP host or a Unix socket) pointed at database `name`,
    as psycopg takes it."""
    return make_url(url).set(drivername="postgresql", database=name).render_as_string(hide_password=False)


def admin_url(base: str) -> str:
    return with_database(base, "postgres")


def recreate_database(base: str, name: str) -> str:
    with psycopg.connect(admin_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(base, name)


def checkpoint(base: str) -> None:
    with psycopg.connect(admin_url(base), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def server_version(base: str) -> str:
    with psycopg.connect(admin_url(base), autocommit=True) as conn:
        return conn.execute("SELECT version()").fetchone()[0]


def flush_redis(redis_url: str) -> None:
    import redis
    redis.Redis.from_url(redis_url).flushdb()


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [str(FLASK) if FLASK.exists() else sys.executable, *([] if FLASK.exists() else ["-m", "flask"]), *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def migrate(env: dict) -> None:
    flask(env, "db", "upgrade")


LIMIT_COLUMNS = ("max_payment", "daily_out", "monthly_out", "max_balance", "max_topup", "offline_allowance")


def lift_limits(database_url: str) -> None:
    """Every tier's limits out of reach: a run measures the posting with its limit checks running
    (the same SQL on every payment), not the refusals of 1,000 users who pass a daily limit in
    seconds. Tiers are data (seeded by migration 0025), so the environment cannot set them."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE tiers SET " + ", ".join(f"{column} = 1000000000000" for column in LIMIT_COLUMNS))


def ledger_verify(env: dict) -> dict:
    result = flask(env, "ledger", "verify", check=False)
    lines = (result.stdout + result.stderr).strip().splitlines()
    return {"ok": result.returncode == 0, "exit_code": result.returncode,
            "summary": next((line for line in reversed(lines) if line.startswith("ledger verify")), "no output"),
            "problems": [line for line in lines if line.startswith("MISMATCH")][:20]}


def seed(env: dict, *, users: int, merchants: int, balance: int, devices: int, webhook_url: str | None,
         out: Path) -> None:
    command = [sys.executable, "-m", "bench.seed", "--users", str(users), "--merchants", str(merchants),
               "--balance", str(balance), "--devices", str(devices), "--out", str(out)]
    if webhook_url:
        command += ["--webhook-url", webhook_url]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed ({result.returncode}):\n{result.stdout}{result.stderr}")

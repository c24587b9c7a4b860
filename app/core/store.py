"""A small key-value store for security state: Redis when REDIS_URL is set, else the database.

Every operation is atomic on its own and commits on its own (it is *not* part of the caller's
unit of work): a consumed nonce or a counted failure must stay counted even when the request
that consumed it fails. Services therefore call the store outside their unit of work.
"""
from __future__ import annotations

import random
from typing import Protocol

import redis
from sqlalchemy import text

from app.core import clock


class Store(Protocol):
    def set_nx(self, key: str, ttl: int, value: str = "1") -> bool: ...
    def set(self, key: str, ttl: int, value: str = "1") -> None: ...
    def get(self, key: str) -> str | None: ...
    def exists(self, key: str) -> bool: ...
    def which_exist(self, keys: list[str]) -> list[bool]: ...
    def incr(self, key: str, ttl: int) -> int: ...
    def delete(self, key: str) -> None: ...
    def ping(self) -> bool: ...


def _now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


class RedisStore:
    def __init__(self, url: str, prefix: str = "wallet:"):
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2,
                                           health_check_interval=30, decode_responses=True)
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return self.prefix + key

    def set_nx(self, key: str, ttl: int, value: str = "1") -> bool:
        return bool(self.client.set(self._k(key), value, nx=True, ex=max(1, ttl)))

    def set(self, key: str, ttl: int, value: str = "1") -> None:
        self.client.set(self._k(key), value, ex=max(1, ttl))

    def get(self, key: str) -> str | None:
        return self.client.get(self._k(key))

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self._k(key)))

    def which_exist(self, keys: list[str]) -> list[bool]:
        """Several keys looked up in one command. MGET, not a pipeline of EXISTS: one command to
        pack and one answer to parse (authentication runs this on every request; README
        "Performance", instructions per payment). MGET answers nil for a missing
        key, and every key this store writes is a string (set, set_nx, incr), so nil means absent."""
        return [value is not None for value in self.client.mget([self._k(key) for key in keys])]

    def incr(self, key: str, ttl: int) -> int:
        # MULTI/EXEC: the counter and its window are set together; EXPIRE NX keeps the first window.
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(self._k(key))
        pipe.expire(self._k(key), max(1, ttl), nx=True)
        count, _ = pipe.execute()
        return int(count)

    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    def ping(self) -> bool:
        return bool(self.client.ping())


class DatabaseStore:
    """The embedded default: one row per key in kv_entries, each call its own short transaction."""

    def __init__(self, engine_getter):
        self._engine = engine_getter

    def _run(self, sql: str, **params) -> list:
        """Run one statement in its own transaction; rows (if any) are read before it commits."""
        with self._engine().begin() as conn:
            result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else []

    def set_nx(self, key: str, ttl: int, value: str = "1") -> bool:
        now = _now_ms()
        if random.random() < 0.01:
            self._run("DELETE FROM kv_entries WHERE expires_at_ms <= :now", now=now)
        result = self._run(
            "INSERT INTO kv_entries (key, value, expires_at_ms) VALUES (:k, :v, :e) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at_ms = excluded.expires_at_ms "
            "WHERE kv_entries.expires_at_ms <= :now RETURNING key",
            k=key, v=value, e=now + ttl * 1000, now=now)
        return bool(result)

    def set(self, key: str, ttl: int, value: str = "1") -> None:
        self._run(
            "INSERT INTO kv_entries (key, value, expires_at_ms) VALUES (:k, :v, :e) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at_ms = excluded.expires_at_ms",
            k=key, v=value, e=_now_ms() + ttl * 1000)

    def get(self, key: str) -> str | None:
        rows = self._run("SELECT value FROM kv_entries WHERE key = :k AND expires_at_ms > :now",
                         k=key, now=_now_ms())
        return rows[0][0] if rows else None

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    def which_exist(self, keys: list[str]) -> list[bool]:
        rows = self._run("SELECT key FROM kv_entries WHERE key = ANY(:keys) AND expires_at_ms > :now",
                         keys=list(keys), now=_now_ms())
        found = {row[0] for row in rows}
        return [key in found for key in keys]

    def incr(self, key: str, ttl: int) -> int:
        now = _now_ms()
        row = self._run(
            "INSERT INTO kv_entries (key, value, expires_at_ms) VALUES (:k, '1', :e) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN kv_entries.expires_at_ms <= :now THEN '1' "
            "        ELSE CAST(CAST(kv_entries.value AS INTEGER) + 1 AS TEXT) END, "
            "expires_at_ms = CASE WHEN kv_entries.expires_at_ms <= :now THEN excluded.expires_at_ms "
            "        ELSE kv_entries.expires_at_ms END "
            "RETURNING value",
            k=key, e=now + ttl * 1000, now=now)
        return int(row[0][0])

    def delete(self, key: str) -> None:
        self._run("DELETE FROM kv_entries WHERE key = :k", k=key)

    def ping(self) -> bool:
        self._run("SELECT 1")
        return True



def get_store() -> Store:
    from flask import current_app
    return current_app.extensions["store"]

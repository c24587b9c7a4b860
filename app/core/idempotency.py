"""Idempotency keys: a retried request gets its first answer back and moves no money twice.

The record is claimed at the start of the unit of work and filled in before its commit, so it
exists exactly when the effect does. Two requests with one key at the same moment: PostgreSQL's
unique index makes the second INSERT wait for the first transaction, then it reads the answer.
Refusals (4xx from the service) are stored too, so a retry cannot turn a decline into a payment;
input that fails the schema never reaches this code and is not stored.
"""
from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app, g, has_request_context
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.dialects.postgresql import insert

from app.core import clock
from app.core.errors import AppError, Code, envelope
from app.core.models import IdempotencyRecord
from app.core.schemas import KEY_MAX
from app.core.store import get_store
from app.core.uow import end_read, retrying, single_statement, unit_of_work
from app.extensions import db

Result = tuple[int, dict]


class CallerRefused(AppError):
    """A refusal found before the key was claimed: the caller themself (not verified, disabled)
    or a request that names nothing payable. It is not stored under the key, as run_once does not
    store what a service refuses before it runs."""


@dataclass(frozen=True)
class IdempotencyRequest:
    scope: str  # whose key it is: "usr_..." or "ter_..."; two callers may use the same key
    key: str
    fingerprint: str


def fingerprint(method: str, path: str, body: dict | None) -> str:
    canonical = json.dumps(body or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def make_request(scope: str, key: str | None, method: str, path: str, body: dict | None):
    if key is None:
        return None
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise AppError(Code.IDEMPOTENCY_KEY_INVALID, f"Idempotency-Key must be 1..{KEY_MAX} printable characters")
    return IdempotencyRequest(scope, key, fingerprint(method, path, body))


_records = IdempotencyRecord.__table__


def _claim(req: IdempotencyRequest) -> Result | None:
    """Take the key for this transaction, or return the answer stored under it."""
    session = db.session
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    now = clock.now()
    stmt = insert(_records).values(scope=req.scope, key=req.key, fingerprint=req.fingerprint,
                                   status_code=0, body="", created_at=now)
    # On the connection, as a plain statement: through the ORM this INSERT (and _save's UPDATE)
    # cost a fifth of a payment's CPU (py-spy, bench.profile). RETURNING says whether it inserted.
    inserted = session.connection().execute(stmt.on_conflict_do_nothing(index_elements=["scope", "key"])
                                            .returning(_records.c.id)).first()
    if inserted is not None:
        return None
    stored = session.query(IdempotencyRecord).filter_by(scope=req.scope, key=req.key).one()
    if clock.as_utc(stored.created_at) < now - ttl:
        # An expired key may be used again: forget the old answer and claim it afresh.
        session.delete(stored)
        session.flush()
        return _claim(req)
    if stored.fingerprint != req.fingerprint:
        raise AppError(Code.IDEMPOTENCY_CONFLICT,
                       "this Idempotency-Key was used with a different request")
    note_replay()
    return stored.status_code, json.loads(stored.body)


def stored_answer(req: IdempotencyRequest | None) -> Result | None:
    """The answer already stored under the key, read without claiming it (None if there is none)."""
    if req is None:
        return None
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    stored = db.session.query(IdempotencyRecord).filter_by(scope=req.scope, key=req.key).one_or_none()
    if stored is None or clock.as_utc(stored.created_at) < clock.now() - ttl:
        return None
    if stored.fingerprint != req.fingerprint:
        raise AppError(Code.IDEMPOTENCY_CONFLICT,
                       "this Idempotency-Key was used with a different request")
    note_replay()
    return stored.status_code, json.loads(stored.body)


def note_replay() -> None:
    """This request is answered with the answer stored under its key: app.core.observability
    counts it (wallet_idempotent_replays_total) and says so on the request's log line."""
    if has_request_context():
        g.idempotent_replay = True


def _save(req: IdempotencyRequest, result: Result) -> None:
    db.session.connection().execute(
        update(_records).where(_records.c.scope == req.scope, _records.c.key == req.key)
        .values(status_code=result[0], body=json.dumps(result[1])))


def run_once(req: IdempotencyRequest | None, work: Callable[[], Result],
             on_refusal: Callable[[AppError], AppError] | None = None) -> Result:
    """Run `work` in one unit of work, at most once per idempotency key; retried on deadlock.

    `work` changes rows without committing and returns (status, body). Without a key it simply
    runs (clients that do not retry need none), and refusals propagate as AppError. With a key,
    a refusal rolls the work back and is stored under the key in a second, small transaction
    (no savepoint on the path that succeeds, which is the common one).

    `on_refusal`, when given, runs in that second transaction (with or without a key) for use
    cases that keep a record of what was refused (a failed terminal charge): it may add rows and
    returns the error to answer with, and the refusal is then returned as (status, envelope).
    """
    def attempt() -> Result:
        with unit_of_work() as uow:
            if req is not None:
                stored = _claim(req)
                if stored is not None:
                    return stored
            result = work()
            if req is not None:
                _save(req, result)
            uow.commit()
            return result

    try:
        return retrying(attempt)
    except AppError as refusal:
        if (req is None and on_refusal is None) or refusal.status >= 500:
            raise
        return retrying(functools.partial(_remember_refusal, req, refusal, on_refusal))


def _remember_refusal(req: IdempotencyRequest | None, refusal: AppError,
                      on_refusal: Callable[[AppError], AppError] | None = None) -> Result:
    """Store a refusal under the key, in a small transaction of its own (the work rolled back)."""
    with unit_of_work() as uow:
        stored = _claim(req) if req is not None else None
        if stored is not None:  # a concurrent retry with this key got there first
            return stored
        if on_refusal is not None:
            refusal = on_refusal(refusal)
        result = (refusal.status, envelope(refusal.code, refusal.message, refusal.details))
        if req is not None:
            _save(req, result)
        uow.commit()
        return result


def run_in_database(req: IdempotencyRequest | None, call: Callable[[Connection], Result]) -> Result:
    """For a use case whose database function claims the key, does the work and stores the answer
    in one round trip (a payment is one call: app/wallet/sql/). `call` runs it on an autocommit
    connection (the one statement is the transaction) and returns the answer, or raises the
    AppError for what it refused; a refusal is then stored under the key in a transaction of its
    own, exactly as run_once stores one. Retried on deadlock."""
    def attempt() -> Result:
        with single_statement() as connection:
            return call(connection)
    try:
        return retrying(attempt)
    except AppError as refusal:
        if req is None or refusal.status >= 500 or isinstance(refusal, CallerRefused):
            raise
        return retrying(functools.partial(_remember_refusal, req, refusal))


def claim_params(req: IdempotencyRequest | None) -> dict:
    """The first four arguments of every payment function that claims its own key
    (idempotency_claim: scope, key, fingerprint, ttl); all None but the ttl without a key."""
    return {"scope": req and req.scope, "key": req and req.key, "fingerprint": req and req.fingerprint,
            "ttl": timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])}


def from_request(scope: str, key: str | None, body: dict | None) -> IdempotencyRequest | None:
    """The idempotency request for the current HTTP request (method, path and parsed body)."""
    from flask import request
    return make_request(scope, key, request.method, request.path, body)


IN_FLIGHT_SECONDS = 30
WAIT_FOR_FIRST_POLLS = 100  # of 50 ms: a concurrent duplicate waits up to 5 s for the first answer


def single_flight(req: IdempotencyRequest | None, run: Callable[[], Result]) -> Result:
    """For use cases whose first step has an effect outside the database that must happen once
    per key (using up a single-use payment code), before run_once can claim the key.

    A retry gets the stored answer without taking that step again. Two requests with one key at
    the same moment are kept apart by a marker in the store: the second waits for the first's
    answer (409 idempotency_in_progress after 5 s) instead of resolving the code again, which
    would be refused as used and, stored first, would answer both with that refusal.
    """
    if req is None:
        return run()
    # No look at the stored answer before taking the marker: it would be one more query on every
    # charge for the benefit of retries only, which find their answer right after taking it.
    store = get_store()
    marker = f"idem:in-flight:{req.scope}:{hashlib.sha256(req.key.encode()).hexdigest()}"
    for _ in range(WAIT_FOR_FIRST_POLLS):
        if store.set_nx(marker, IN_FLIGHT_SECONDS):
            try:
                # Looked again: the first may have finished just before we took the marker.
                return _fresh_answer(req) or run()
            finally:
                store.delete(marker)
        time.sleep(0.05)
        stored = _fresh_answer(req)
        if stored is not None:
            return stored
    raise AppError(Code.IDEMPOTENCY_IN_PROGRESS, "a request with this Idempotency-Key is still running; retry it", headers={"Retry-After": "1"})


def _fresh_answer(req: IdempotencyRequest) -> Result | None:
    end_read()  # a new snapshot: a read transaction would keep showing the old state
    return stored_answer(req)

"""Authenticating a terminal: every /api/v1/pos request is signed (see app.pos.signing).

Refusals are 401 with distinct codes, so a firmware author can tell a wrong key from a wrong
clock: terminal_unknown, signature_invalid, timestamp_invalid, timestamp_out_of_range, nonce_reused; a disabled
terminal is 403 terminal_disabled. Nonces are remembered in the store (Redis, or the database)
for twice the allowed skew, so a captured request cannot be replayed while its timestamp passes.
"""
from __future__ import annotations

from flask import g, request
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import text

from app.auth import crypto
from app.core import clock
from app.core.driver_call import execute_one
from app.core.errors import AppError, Code
from app.core.store import get_store
from app.core.uow import single_statement
from app.pos import signing
from app.pos.terminals.models import Terminal
from app.qr.devices import scanning

# Signed by terminals (see app.pos.signing and the README).
SECURITY_SCHEMES = {
    "terminalId": {"type": "apiKey", "in": "header", "name": "X-Terminal-Id"},
    "terminalTimestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp"},
    "terminalNonce": {"type": "apiKey", "in": "header", "name": "X-Nonce"},
    "terminalSignature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                          "description": "hex HMAC-SHA256 over method, path, timestamp, nonce, body hash"},
}
TERMINAL_SECURITY = [{name: [] for name in SECURITY_SCHEMES}]
_TERMINAL_COLUMNS = tuple(Terminal.__table__.columns.keys())
_SELECT_TERMINAL = "SELECT " + ", ".join(f"terminals.{name}" for name in _TERMINAL_COLUMNS)
_TERMINAL = text(f"{_SELECT_TERMINAL} FROM terminals WHERE terminals.id = :terminal_id")
_TERMINAL_AND_DEVICE = text(
    f"{_SELECT_TERMINAL}, devices.id AS device_id, devices.user_id AS device_user_id, devices.secret AS device_secret "
    "FROM terminals LEFT JOIN devices ON devices.handle = :handle WHERE terminals.id = :terminal_id")
# Endpoints whose JSON body's payment_code is checked next (a till's charge, a vending hold): the
# code's device is read in the terminal's own statement, so the payment is two round trips (this
# read, then the one call) and not three when the process has not seen the device before
# (app.qr.devices.scanning caches devices per process; a customer's phone is rarely seen twice).
_CODE_IN_BODY: set[str] = set()


def terminal_blueprint(name: str, import_name: str, *, code_in_body: tuple[str, ...] = ()) -> APIBlueprint:
    """A blueprint under /api/v1/pos whose every request is signed by a registered terminal;
    `code_in_body`: its views whose body carries a payment_code (see _CODE_IN_BODY)."""
    blueprint = APIBlueprint(name, import_name, url_prefix="/api/v1/pos", abp_security=TERMINAL_SECURITY,
                             abp_tags=[Tag(name="pos")])
    _CODE_IN_BODY.update(f"{name}.{view}" for view in code_in_body)
    blueprint.before_request(authenticate_terminal)
    return blueprint


def _refuse(code: Code, message: str) -> AppError:
    return AppError(code, message)


def _path_with_query() -> str:
    """The path and query exactly as sent: gunicorn's RAW_URI (or REQUEST_URI), else PATH_INFO
    re-quoted (granian has no raw path). See signing.request_target."""
    return signing.request_target(request.environ)


def authenticate_terminal() -> None:
    """before_request hook of the /api/v1/pos blueprint."""
    headers = request.headers
    terminal_id, timestamp = headers.get("X-Terminal-Id", ""), headers.get("X-Timestamp", "")
    nonce, signature = headers.get("X-Nonce", ""), headers.get("X-Signature", "")
    if not (terminal_id and timestamp and nonce and signature):
        raise _refuse(Code.UNAUTHORIZED, "sign the request: X-Terminal-Id, X-Timestamp, X-Nonce, X-Signature")
    if len(nonce) < signing.MIN_NONCE_LENGTH or len(nonce) > 128 or not nonce.isprintable():
        raise _refuse(Code.SIGNATURE_INVALID, f"X-Nonce must be {signing.MIN_NONCE_LENGTH}..128 printable characters")
    # The format first: a malformed timestamp is the firmware's clock code, not a wrong key, and
    # str.isdigit() alone lets through digits that int() refuses ("²") or cannot afford (5,000 of them).
    if not signing.timestamp_well_formed(timestamp):
        raise _refuse(Code.TIMESTAMP_INVALID,
                      f"X-Timestamp must be unix seconds: 1 to {signing.MAX_TIMESTAMP_DIGITS} ASCII digits")
    terminal = _read_terminal(terminal_id[:40])
    if terminal is None:
        raise _refuse(Code.TERMINAL_UNKNOWN, "no terminal with this id")
    expected = signing.sign(crypto.decrypt(terminal.secret), request.method, _path_with_query(), timestamp, nonce,
                            request.get_data(cache=True))
    if not signing.signature_matches(expected, signature):
        raise _refuse(Code.SIGNATURE_INVALID, "the signature does not match this request")
    if abs(int(timestamp) - clock.now().timestamp()) > signing.MAX_SKEW_SECONDS:
        raise _refuse(Code.TIMESTAMP_OUT_OF_RANGE,
                      f"X-Timestamp is more than {signing.MAX_SKEW_SECONDS} s away from the server's clock")
    if terminal.status != "active":
        raise AppError(Code.TERMINAL_DISABLED, "this terminal is disabled")
    if not get_store().set_nx(f"pos:nonce:{terminal.id}:{nonce}", 2 * signing.MAX_SKEW_SECONDS):
        raise _refuse(Code.NONCE_REUSED, "this nonce was already used")
    g.terminal = terminal


def _code_handle() -> str | None:
    """The device handle to read along with the terminal, for an endpoint in _CODE_IN_BODY."""
    if request.endpoint not in _CODE_IN_BODY:
        return None
    body = request.get_json(silent=True)  # parsed once: the view's body model reads Flask's cached parse
    return scanning.handle_to_read(body.get("payment_code")) if isinstance(body, dict) else None


def _read_terminal(terminal_id: str) -> Terminal | None:
    """The terminal's row (and the payment code's device, _CODE_IN_BODY), in one round trip.

    Read in autocommit: one round trip, where a session's read costs BEGIN, SELECT and ROLLBACK.
    Sent straight through psycopg (app.core.driver_call: SQLAlchemy built and compiled the select
    and its result objects on every request). The terminal is a plain object in no session, as the
    expunged one was. Reading the device before the signature is checked reveals nothing: it
    stays in this request, for the code's check."""
    handle = _code_handle()
    with single_statement() as connection:
        row = execute_one(connection, _TERMINAL_AND_DEVICE if handle else _TERMINAL,
                          {"terminal_id": terminal_id, "handle": handle})
    if row is None:
        return None
    if handle is not None:
        scanning.read_along(handle, (row.device_id, row.device_user_id, row.device_secret)
                            if row.device_id is not None else None)
    return Terminal(**{name: getattr(row, name) for name in _TERMINAL_COLUMNS})


def current_terminal() -> Terminal:
    return g.terminal

"""How a terminal signs a request. Pure: the same code signs in the tests and in the README.

    string_to_sign = METHOD "\\n" PATH_WITH_QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(body))
    X-Signature    = lower-case hex(HMAC-SHA256(secret, string_to_sign))
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

MAX_SKEW_SECONDS = 300
MIN_NONCE_LENGTH = 16
MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658; more is garbage, not a clock
# RFC 3986 pchar beside the unreserved characters (which quote() never encodes), and "/"
PATH_SAFE = "/:@!$&'()*+,;="


def request_target(environ: Mapping) -> str:
    """The path and query string the terminal signed: the request target as it came on the wire.

    gunicorn puts the raw target in RAW_URI (Werkzeug's server and test client set RAW_URI and
    REQUEST_URI, uWSGI and mod_wsgi REQUEST_URI); it is taken as it is, not decoded, so
    `/charges/chg%5Fabc` is signed as `/charges/chg%5Fabc`. A target in absolute form
    (`http://host/path?q`) keeps its path and query. granian (2.x) provides neither: only the
    decoded PATH_INFO and the raw QUERY_STRING, so there the path is re-quoted (every byte outside
    RFC 3986's path characters as %XX, upper-case hex) and the signature fits only a path sent in
    that form; the query is still as sent.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if not raw.startswith("/"):
            parts = urlsplit(raw)
            raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = quote(path.encode("latin-1"), safe=PATH_SAFE)  # WSGI strings hold the bytes as latin-1
    query = environ.get("QUERY_STRING", "")
    return path + (f"?{query}" if query else "")


def timestamp_well_formed(timestamp: str) -> bool:
    """Unix seconds as plain ASCII digits: no sign, no fraction, no other script's digits."""
    return 0 < len(timestamp) <= MAX_TIMESTAMP_DIGITS and timestamp.isascii() and timestamp.isdigit()


def string_to_sign(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path_with_query, timestamp, nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.lower().encode())

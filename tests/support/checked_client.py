"""A test client that checks every JSON answer against the OpenAPI document.

Installed for the whole suite by tests/conftest.py (`app.test_client_class = CheckedClient`),
so `client`, `api`, terminals, merchant servers and every `app.test_client()` in a thread go
through it. For each answer whose body is JSON:

- 2xx: the body must match the schema that the document (`app.api_doc`, the /openapi.json that
  flask-openapi3 builds from each route's `responses={...}`) declares for that operation and
  status; a JSON body for a status the operation does not declare, or that it declares without
  a JSON body, is a mismatch too.
- 4xx and 5xx: the body must be our error envelope, {"error": {"code", "message", "details"}}.

A mismatch raises SchemaMismatch (an AssertionError) naming the operation, the status and what
did not match, so the test fails there. It is also written down, and the `client` fixtures
fail the test at teardown for a mismatch that a thread swallowed (see take_mismatches).
"""
from __future__ import annotations

import re
import threading
import weakref

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException

DOCUMENT = "urn:wallet:openapi"  # the base URI the document is registered under, for its "#/components/..." refs

ERROR_ENVELOPE = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string", "minLength": 1},
                "details": {"type": "object"},
            },
        },
    },
}


class SchemaMismatch(AssertionError):
    """An answer that is not what the OpenAPI document says the operation answers."""


_mismatches: list[str] = []
_mismatches_lock = threading.Lock()


def take_mismatches() -> list[str]:
    """Every mismatch found since the last call (in any thread), and forget them."""
    with _mismatches_lock:
        found = list(_mismatches)
        _mismatches.clear()
        return found


class _Document:
    """The app's OpenAPI document, with validators built on first use."""

    def __init__(self, app):
        self.app = app
        self.doc = app.api_doc
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT, resource)
        self.validators: dict[str, Draft202012Validator] = {}
        self.lock = threading.Lock()
        self.envelope = Draft202012Validator(ERROR_ENVELOPE)

    def validator(self, pointer: str) -> Draft202012Validator:
        with self.lock:
            if pointer not in self.validators:
                self.validators[pointer] = Draft202012Validator({"$ref": f"{DOCUMENT}#{pointer}"},
                                                                registry=self.registry)
            return self.validators[pointer]

    def operation(self, environ) -> tuple[str, str | None]:
        """("GET /api/v1/wallets/{wallet_id}", the document's path) for the request, or (what was
        asked, None) when no documented route serves it."""
        method, asked = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            rule, _ = self.app.url_map.bind_to_environ(environ).match(method=method, return_rule=True)
        except HTTPException:  # 404, 405, or a redirect
            return f"{method} {asked}", None
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if path not in self.doc.get("paths", {}):
            return f"{method} {asked}", None
        return f"{method} {path}", path


_documents: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_documents_lock = threading.Lock()


def _document(app) -> _Document:
    with _documents_lock:
        if app not in _documents:
            _documents[app] = _Document(app)
        return _documents[app]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _problem(validator: Draft202012Validator, body) -> str | None:
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return None
    where = "".join(f"[{part!r}]" for part in error.absolute_path) or "the body"
    return f"at {where}: {error.message}"


def check_response(app, response) -> None:
    """Raise SchemaMismatch when a JSON answer is not what the document declares."""
    if not response.is_json or not response.get_data():
        return
    document = _document(app)
    environ = response.request.environ
    operation, path = document.operation(environ)
    status = response.status_code
    body = response.get_json(silent=True)
    if body is None:
        problem = "the body is not valid JSON"
    elif status >= 400:
        problem = _problem(document.envelope, body)
        if problem:
            problem = f"not our error envelope {{\"error\": {{code, message, details}}}}: {problem}"
    elif path is None:
        return  # not an API operation (the document itself)
    else:
        method = environ["REQUEST_METHOD"].lower()
        declared = document.doc["paths"][path].get(method, {}).get("responses", {})
        answer = declared.get(str(status))
        if answer is None:
            problem = f"the document declares no {status} answer (it declares {', '.join(sorted(declared)) or 'none'})"
        elif "application/json" not in (answer.get("content") or {}):
            problem = f"the document declares the {status} answer without a JSON body"
        else:
            pointer = "/".join(["", "paths", _escape(path), method, "responses", str(status), "content",
                                _escape("application/json"), "schema"])
            problem = _problem(document.validator(pointer), body)
    if problem:
        message = f"{operation} answered {status}, {problem}\nbody: {response.get_data(as_text=True)[:2000]}"
        with _mismatches_lock:
            _mismatches.append(message)
        raise SchemaMismatch(message)


class CheckedClient(FlaskClient):
    """Flask's test client; every answer is checked by check_response before the test sees it.

    It also closes an answer as a WSGI server does once it has sent it, so work the app left for
    after the response (app.core.after_response) has run when a request returns. Streamed answers
    (CSV exports) are left open for the test to read. A test that times the answer alone uses a
    plain FlaskClient and closes the response itself (tests/auth/test_timing.py)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_response(self.application, response)
        if response.mimetype != "text/csv":
            response.make_sequence()
            response.close()
        return response


def install(app) -> None:
    """From now on app.test_client() is a CheckedClient."""
    app.test_client_class = CheckedClient

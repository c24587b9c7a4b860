"""The OpenAPI document, made to tell the truth about errors.

flask-openapi3 declares 422 as its own list of validation errors (the API answers our envelope)
and leaves out the other error statuses an operation can give, so generated clients misparse
every error. After it builds the document, every operation gets our envelope for each error
status it can answer: 400 and 422 (bad input), 500, 414 and 431 (the server's refusal of a URL or
headers too long), 408 and 413 for a body (too slow, too large), 401 and 403 behind a security
scheme or on a sign-in operation, 404 for a path with an id, 402, 404 and 409 where an Idempotency-Key is taken (money
moves), 429 (rate limits, the terminal's and the PIN's lockouts). A route declares the error
statuses these rules cannot know (`responses={401: None}` for a wrong sign-in code, 409 for a
state conflict); every declared error status gets the envelope too.
"""
from __future__ import annotations

from http import HTTPStatus
from types import FunctionType

from flask_openapi3 import OpenAPI

from app.core.schemas import ErrorEnvelope

ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_PLAIN_CODE: set = set()  # code objects of functions WalletOpenAPI.ensure_sync found not to be coroutines


class WalletOpenAPI(OpenAPI):
    def ensure_sync(self, func):
        """Flask asks `inspect.iscoroutinefunction` of every hook and of the view on every request
        (eight times for a transfer: about 5% of /healthz's CPU under cProfile). For a plain
        function the answer is a flag of its code object, so the code objects already found not to
        be coroutines are remembered: a bounded set (after_this_request's closures, made per
        request, share their code object). Anything else (a method, a partial) is asked as before."""
        code = func.__code__ if type(func) is FunctionType else None
        if code is not None and code in _PLAIN_CODE:
            return func
        made = super().ensure_sync(func)
        if made is func and code is not None:
            _PLAIN_CODE.add(code)
        return made

    def generate_spec_json(self):
        super().generate_spec_json()
        declare_errors(self.spec_json)


def declare_errors(spec: dict) -> None:
    schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["ErrorEnvelope"] = schema
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses if status.isdigit() and int(status) >= 400}
            for status in sorted(_error_statuses(path, method, operation) | declared):
                responses[str(status)] = {"description": HTTPStatus(status).phrase,
                                              "content": {"application/json": {"schema": ENVELOPE_REF}}}


def _error_statuses(path: str, method: str, operation: dict) -> set[int]:
    # 414 and 431: the server's own refusals of a URL or headers too long (app.core.rsgi_bridge),
    # 408 and 413 of a body too slow or too large, before the route runs.
    statuses = {400, 414, 422, 429, 431, 500}
    if method in ("post", "put", "patch"):
        statuses |= {408, 413}
    if operation.get("security") or path.startswith("/api/v1/auth/"):
        statuses |= {401, 403}  # the sign-in operations too: a wrong code or password, a locked account
    if "{" in path:
        statuses.add(404)
    if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
        statuses |= {402, 404, 409}  # money moves: refused payments, a recipient or wallet not found, a key reused
    return statuses

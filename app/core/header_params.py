"""flask-openapi3's header validation, without copying every request header first.

For a route with a header model (the Idempotency-Key of every payment, X-Device-Name at sign-in)
flask-openapi3 (flask_openapi3.request._validate_header) copies all of the request's headers into
a dict (werkzeug rebuilds each header's name to do it), reads the model's JSON schema, and hands
the model every header, known or not: about 4% of a transfer's CPU (cProfile, in-process). Our
header models ignore unknown names (pydantic's default, `extra="ignore"`), so only the headers
the model names can change its result; those are looked up directly (werkzeug's header view
looks a name up case-insensitively, as the copy's title-cased keys were matched).

Any model this shortcut cannot answer for exactly (one that allows or forbids extra headers,
populates by field name, or has a field whose schema is "null") goes to flask-openapi3's own
function, as before. `install()` is called once by the app factory; tests/core/test_header_params.py
checks both give the same models and the same validation errors.
"""
from __future__ import annotations

from flask import request
import flask_openapi3.request as openapi_request

_original = openapi_request._validate_header
_lean_fields: dict[type, tuple[tuple[str, str], ...] | None] = {}


def _fields(model) -> tuple[tuple[str, str], ...] | None:
    """(key the model validates, header name) for each field, or None when the model needs the
    original path."""
    if model not in _lean_fields:
        config = model.model_config
        properties = model.model_json_schema().get("properties", {})
        exact = config.get("extra", "ignore") == "ignore" and not config.get("populate_by_name") and not any(
            (properties.get(field.alias or name) or {}).get("type") == "null" for name, field in model.model_fields.items())
        _lean_fields[model] = tuple(
            (field.alias or name, (field.alias or name).replace("_", "-")) for name, field in model.model_fields.items()
        ) if exact else None
    return _lean_fields[model]


def validate_header(header, func_kwargs: dict) -> None:
    fields = _fields(header)
    if fields is None:
        _original(header, func_kwargs)
        return
    headers = request.headers
    found = {}
    for key, name in fields:
        value = headers.get(name)
        if value is not None:
            found[key] = value
    func_kwargs["header"] = header.model_validate(obj=found)


def install() -> None:
    openapi_request._validate_header = validate_header

"""app.core.header_params gives what flask-openapi3's own header validation gives."""
from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.auth.schemas import DeviceHeader
from app.core import header_params
from app.core.schemas import IdempotencyHeader


class Forbidding(BaseModel):  # a model the shortcut must leave to flask-openapi3
    model_config = ConfigDict(extra="forbid")
    x_thing: str | None = Field(None, alias="X-Thing")


def _both(app, model, headers: dict):
    answers = []
    for validate in (header_params._original, header_params.validate_header):
        with app.test_request_context("/", headers=headers):
            kwargs: dict = {}
            try:
                validate(model, kwargs)
                answers.append(kwargs["header"].model_dump(by_alias=True))
            except ValidationError as error:
                answers.append(("invalid", [(e["type"], e["loc"]) for e in error.errors()]))
    return answers


@pytest.mark.parametrize("model, headers", [
    (IdempotencyHeader, {"Idempotency-Key": "k-1", "Authorization": "Bearer x", "X-Other": "y"}),
    (IdempotencyHeader, {"idempotency-key": "lower-case"}),
    (IdempotencyHeader, {"Idempotency-Key": ""}),
    (IdempotencyHeader, {"Authorization": "Bearer x"}),
    (DeviceHeader, {"X-Device-Name": "Pixel 8", "User-Agent": "test"}),
    (DeviceHeader, {"X-Device-Name": "x" * 101}),
    (DeviceHeader, {}),
    (Forbidding, {"X-Thing": "a", "X-Unknown": "b"}),
])
def test_the_lean_header_validation_agrees_with_flask_openapi3(app, model, headers):
    original, lean = _both(app, model, headers)
    assert lean == original


def test_the_lean_path_reads_only_the_models_fields_and_knows_when_it_cannot(app):
    assert header_params._fields(IdempotencyHeader) == (("Idempotency-Key", "Idempotency-Key"),)
    assert header_params._fields(Forbidding) is None  # unknown headers matter there: flask-openapi3 decides
    assert _both(app, Forbidding, {"X-Unknown": "b"})[1][0] == "invalid"


def test_the_app_uses_it(app, client):
    import flask_openapi3.request as openapi_request
    assert openapi_request._validate_header is header_params.validate_header

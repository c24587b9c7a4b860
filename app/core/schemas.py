"""Models every API shares: strict request bodies, header and query models, the Idempotency-Key
header, the error envelope."""
import copy
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

KEY_MAX = 255  # the longest Idempotency-Key (app.core.idempotency checks it)

_schemas: dict[tuple, dict] = {}


class RequestParams(BaseModel):
    """Base of header and query models. flask-openapi3 builds the JSON schema of these on every
    request to see which properties to read (about half a millisecond of CPU, measured with
    bench.profile); a model's schema never changes, so it is built once and handed out as a copy."""

    @classmethod
    def model_json_schema(cls, *args, **kwargs) -> dict:
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in _schemas:
            _schemas[key] = super().model_json_schema(*args, **kwargs)
        if not args and not kwargs:
            # The per-request call (flask_openapi3.request: _validate_header, _validate_query)
            # only reads "properties": a shallow copy is enough (a caller that pops a top-level
            # key such as "$defs" does not reach the cache; nested parts are only read), and a
            # deep one cost more than the header's validation itself.
            return dict(_schemas[key])
        return copy.deepcopy(_schemas[key])  # the OpenAPI document's builder may change its copy


class Strict(BaseModel):
    """A request body: unknown fields are refused (422), not silently ignored."""
    model_config = ConfigDict(extra="forbid")


# The key's length and characters are documented here but checked by app.core.idempotency
# (make_request), so that a bad key is 400 idempotency_key_invalid on every endpoint that takes
# one: a max_length here made a 256-character key a 422 validation_error before that check ran.
IdempotencyKey = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": KEY_MAX})]


class IdempotencyHeader(RequestParams):
    idempotency_key: IdempotencyKey | None = Field(
        None, alias="Idempotency-Key",
        description=f"retry-safe key of 1..{KEY_MAX} printable characters; the same key and body returns the "
                    "first answer; any other key is 400 idempotency_key_invalid")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {str(status): ErrorEnvelope for status in (400, 401, 403, 404, 409, 413, 422, 429)}

"""Models every API shares: strict request bodies, header and query models, the Idempotency-Key
header, the error envelope."""
import copy

from pydantic import BaseModel, ConfigDict, Field

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
        return copy.deepcopy(_schemas[key])


class Strict(BaseModel):
    """A request body: unknown fields are refused (422), not silently ignored."""
    model_config = ConfigDict(extra="forbid")


class IdempotencyHeader(RequestParams):
    idempotency_key: str | None = Field(None, alias="Idempotency-Key", max_length=255,
                                        description="retry-safe key; same key and body returns the first answer")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {str(status): ErrorEnvelope for status in (400, 401, 403, 404, 409, 413, 422, 429)}

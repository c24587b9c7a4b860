"""Models every API shares: strict request bodies, the Idempotency-Key header, the error envelope."""
from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A request body: unknown fields are refused (422), not silently ignored."""
    model_config = ConfigDict(extra="forbid")


class IdempotencyHeader(BaseModel):
    idempotency_key: str | None = Field(None, alias="Idempotency-Key", max_length=255,
                                        description="retry-safe key; same key and body returns the first answer")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {str(status): ErrorEnvelope for status in (400, 401, 403, 404, 409, 413, 422, 429)}

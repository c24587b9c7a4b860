"""Models every API shares: the error envelope (documented on every operation)."""
from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict


class ErrorEnvelope(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {str(status): ErrorEnvelope for status in (400, 401, 403, 404, 409, 413, 422, 429)}

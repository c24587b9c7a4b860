"""Request and response models of API keys (merchant staff, with their user token)."""

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import Strict


class CreateApiKeyBody(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=NO_CONTROLS, description="what uses it, e.g. 'web shop'")


class ApiKeyPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    key_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: str
    last_used_at: str | None = Field(description="updated at most once a minute")
    revoked_at: str | None


class ApiKeyCreatedOut(BaseModel):
    id: str
    name: str
    key: str = Field(description="the secret key (mk_...): shown only in this answer, keep it on the server")
    prefix: str
    created_at: str


class ApiKeyList(BaseModel):
    data: list[ApiKeyOut]

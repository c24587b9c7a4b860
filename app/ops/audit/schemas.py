"""Request and response models of the audit trail."""
from pydantic import AwareDatetime, BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.pagination import PageQuery


class AuditQuery(PageQuery):
    actor_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS, description="who acted")
    object_id: str | None = Field(None, max_length=40, pattern=NO_CONTROLS, description="on which object")
    object_type: str | None = Field(None, max_length=24, pattern=NO_CONTROLS)
    action: str | None = Field(None, max_length=40, pattern=NO_CONTROLS)
    since: AwareDatetime | None = Field(None, description="records at or after this time (ISO 8601 with zone)")
    until: AwareDatetime | None = Field(None, description="records before this time")


class AuditRecordOut(BaseModel):
    seq: int
    actor_type: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    before: dict | None
    after: dict | None
    reason: str | None
    ip: str | None
    created_at: str
    hash: str


class AuditList(BaseModel):
    data: list[AuditRecordOut]
    has_more: bool
    next_cursor: str | None

"""Request and response models of the webhook endpoints (staff, bearer)."""
from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import NO_CONTROLS
from app.core.pagination import PageQuery
from app.core.schemas import Strict
from app.merchant.events import SUBSCRIBABLE

EventType = Literal[SUBSCRIBABLE]


class CreateWebhookBody(Strict):
    # Long URLs get past the schema so the service can answer 422 webhook_url_invalid for them.
    url: str = Field(min_length=1, max_length=8192,
                     description="https (http too outside production); no credentials; at most 2000 characters")
    events: list[EventType] = Field(min_length=1, max_length=len(SUBSCRIBABLE), description="event types to receive")


class WebhooksPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class WebhookPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    webhook_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class DeliveryPath(BaseModel):
    merchant_id: str = Field(max_length=40, pattern=NO_CONTROLS)
    delivery_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class DeliveryQuery(PageQuery):
    status: Literal["pending", "succeeded", "failed"] | None = None


class WebhookOut(BaseModel):
    id: str
    merchant_id: str
    url: str
    events: list[str]
    status: str
    created_at: str
    secret: str | None = Field(None, description="whsec_...: only when made, on creation and rotation")
    previous_secret_expires_at: str | None = Field(
        None, description="after a rotation: until when the previous secret signs deliveries too (a second "
                          "v1 signature in webhook-signature); null when only the current secret signs")


class WebhookList(BaseModel):
    data: list[WebhookOut]


class TestEventOut(BaseModel):
    delivery_id: str
    event_id: str


class AttemptOut(BaseModel):
    attempted_at: str
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: str
    event_id: str = Field(description="the webhook-id header: the same on every attempt")
    event_type: str
    endpoint_id: str
    status: str = Field(description="pending | succeeded | failed")
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    updated_at: str
    attempt_log: list[AttemptOut] = Field(description="newest first")


class DeliveryList(BaseModel):
    data: list[DeliveryOut]
    has_more: bool
    next_cursor: str | None

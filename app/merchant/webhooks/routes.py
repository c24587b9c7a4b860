"""Webhook endpoints and their deliveries, for merchant staff (user bearer token). Thin: schema,
one service call. Delivering is the worker's job (`flask webhooks work`)."""
from app.auth.current import current_user, user_blueprint
from app.core.schemas import ErrorEnvelope
from app.merchant.webhooks import services as webhooks
from app.merchant.webhooks.schemas import (
    CreateWebhookBody,
    DeliveryList,
    DeliveryOut,
    DeliveryPath,
    DeliveryQuery,
    TestEventOut,
    WebhookList,
    WebhookOut,
    WebhookPath,
    WebhooksPath,
)

webhooks_api = user_blueprint("merchant_webhooks", __name__, "merchants")


@webhooks_api.post("/merchants/<merchant_id>/webhooks", responses={201: WebhookOut})
def create_webhook(path: WebhooksPath, body: CreateWebhookBody):
    """Register an endpoint; its signing secret is in this answer only (and on rotation)."""
    return webhooks.create_endpoint(current_user(), path.merchant_id, url=body.url, event_types=body.events), 201


@webhooks_api.get("/merchants/<merchant_id>/webhooks", responses={200: WebhookList})
def list_webhooks(path: WebhooksPath):
    """The merchant's endpoints, without secrets."""
    return {"data": webhooks.list_endpoints(current_user(), path.merchant_id)}


@webhooks_api.post("/merchants/<merchant_id>/webhooks/<webhook_id>/disable", responses={200: WebhookOut})
def disable_webhook(path: WebhookPath):
    """No new deliveries; pending ones are not sent (they end failed: retry them once enabled)."""
    return webhooks.set_status(current_user(), path.merchant_id, path.webhook_id, "disabled")


@webhooks_api.post("/merchants/<merchant_id>/webhooks/<webhook_id>/enable", responses={200: WebhookOut})
def enable_webhook(path: WebhookPath):
    """Deliver new events again."""
    return webhooks.set_status(current_user(), path.merchant_id, path.webhook_id, "active")


@webhooks_api.post("/merchants/<merchant_id>/webhooks/<webhook_id>/rotate-secret", responses={200: WebhookOut})
def rotate_webhook_secret(path: WebhookPath):
    """A new secret; every attempt from now on is signed with it."""
    return webhooks.rotate_secret(current_user(), path.merchant_id, path.webhook_id)


@webhooks_api.post("/merchants/<merchant_id>/webhooks/<webhook_id>/test",
                   responses={202: TestEventOut, 409: ErrorEnvelope})
def test_webhook(path: WebhookPath):
    """Queue a "webhook.test" event for this endpoint only; the worker sends it."""
    return webhooks.send_test(current_user(), path.merchant_id, path.webhook_id), 202


@webhooks_api.get("/merchants/<merchant_id>/webhook-deliveries", responses={200: DeliveryList})
def list_webhook_deliveries(path: WebhooksPath, query: DeliveryQuery):
    """Deliveries, newest first, each with its attempt log."""
    return webhooks.list_deliveries(current_user(), path.merchant_id, status=query.status, cursor=query.cursor,
                                    limit=query.limit)


@webhooks_api.post("/merchants/<merchant_id>/webhook-deliveries/<delivery_id>/retry",
                   responses={200: DeliveryOut, 409: ErrorEnvelope})
def retry_webhook_delivery(path: DeliveryPath):
    """Send a failed (or waiting) delivery again now; a succeeded one is 409 delivery_not_retryable."""
    return webhooks.retry_delivery(current_user(), path.merchant_id, path.delivery_id)

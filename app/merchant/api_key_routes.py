"""Staff endpoints for API keys."""
from app.auth.current import current_user
from app.merchant import api_keys
from app.merchant.gateway_schemas import (
    ApiKeyCreatedOut,
    ApiKeyList,
    ApiKeyPath,
    CreateApiKeyBody,
)
from app.merchant.routes import merchant_api
from app.merchant.schemas import MerchantPath

@merchant_api.post("/merchants/<merchant_id>/api-keys", responses={201: ApiKeyCreatedOut})
def create_api_key(path: MerchantPath, body: CreateApiKeyBody):
    """Create an API key for the merchant's servers. `key` is shown only in this answer."""
    return api_keys.create_key(current_user(), path.merchant_id, name=body.name), 201


@merchant_api.get("/merchants/<merchant_id>/api-keys", responses={200: ApiKeyList})
def list_api_keys(path: MerchantPath):
    """The merchant's API keys, newest first, without their secrets (revoked ones included)."""
    return {"data": api_keys.list_keys(current_user(), path.merchant_id)}


@merchant_api.delete("/merchants/<merchant_id>/api-keys/<key_id>", responses={204: None})
def revoke_api_key(path: ApiKeyPath):
    """Revoke a key: the next request made with it is refused."""
    api_keys.revoke_key(current_user(), path.merchant_id, path.key_id)
    return "", 204

"""Staff endpoints for API keys."""
from app.auth.current import current_user, user_blueprint
from app.merchant.api_keys import services as api_keys
from app.merchant.api_keys.schemas import ApiKeyCreatedOut, ApiKeyList, ApiKeyPath, CreateApiKeyBody
from app.merchant.schemas import MerchantPath

api_keys_api = user_blueprint("merchant_api_keys", __name__, "merchants")


@api_keys_api.post("/merchants/<merchant_id>/api-keys", responses={201: ApiKeyCreatedOut})
def create_api_key(path: MerchantPath, body: CreateApiKeyBody):
    """Create an API key for the merchant's servers. `key` is shown only in this answer."""
    return api_keys.create_key(current_user(), path.merchant_id, name=body.name), 201


@api_keys_api.get("/merchants/<merchant_id>/api-keys", responses={200: ApiKeyList})
def list_api_keys(path: MerchantPath):
    """The merchant's API keys, newest first, without their secrets (revoked ones included)."""
    return {"data": api_keys.list_keys(current_user(), path.merchant_id)}


@api_keys_api.delete("/merchants/<merchant_id>/api-keys/<key_id>", responses={204: None})
def revoke_api_key(path: ApiKeyPath):
    """Revoke a key: the next request made with it is refused."""
    api_keys.revoke_key(current_user(), path.merchant_id, path.key_id)
    return "", 204

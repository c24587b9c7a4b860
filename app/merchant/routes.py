"""Merchant endpoints: admins create merchants; staff read theirs."""
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import current_user, require_admin, user_blueprint
from app.merchant import services
from app.merchant.schemas import CreateMerchantBody, MerchantList, MerchantOut, MerchantPath

admin_api = APIBlueprint("admin", __name__, url_prefix="/api/v1/admin", abp_security=[{"bearer": []}],
                         abp_tags=[Tag(name="admin")])
admin_api.before_request(require_admin)

merchant_api = user_blueprint("merchant", __name__, "merchants")


@admin_api.post("/merchants", responses={201: MerchantOut})
def create_merchant(body: CreateMerchantBody):
    """Create a merchant; `owner` (an existing user) becomes its first staff member."""
    return services.create_merchant(**body.model_dump()), 201


@merchant_api.get("/merchants", responses={200: MerchantList})
def my_merchants():
    """Merchants the caller works for."""
    return {"data": services.my_merchants(current_user())}


@merchant_api.get("/merchants/<merchant_id>", responses={200: MerchantOut})
def get_merchant(path: MerchantPath):
    """A merchant the caller works for; any other is a 404."""
    return services.get_merchant(current_user(), path.merchant_id)

"""Merchant endpoints: admins create merchants; staff read theirs."""
from app.auth.current import current_user, current_user_id, user_blueprint
from app.auth.operator_roles import operator_blueprint, require
from app.merchant import limits, services
from app.merchant.schemas import (CreateMerchantBody, MerchantLimitsBody, MerchantLimitsOut, MerchantList, MerchantOut,
                                  MerchantPath)

admin_api = operator_blueprint("admin", __name__, "configuration")  # merchants are configuration: admins

merchant_api = user_blueprint("merchant", __name__, "merchants")


@admin_api.post("/merchants", responses={201: MerchantOut})
def create_merchant(body: CreateMerchantBody):
    """Create a merchant; `owner` (an existing user) becomes its first staff member."""
    return services.create_merchant(**body.model_dump(), by=current_user_id()), 201


@merchant_api.get("/merchants", responses={200: MerchantList})
def my_merchants():
    """Merchants the caller works for, each with the caller's `role` there."""
    return {"data": services.my_merchants(current_user())}


@merchant_api.get("/merchants/<merchant_id>", responses={200: MerchantOut})
def get_merchant(path: MerchantPath):
    """A merchant the caller works for; any other is a 404."""
    return services.get_merchant(current_user(), path.merchant_id)


@merchant_api.get("/merchants/<merchant_id>/limits", responses={200: MerchantLimitsOut})
def get_limits(path: MerchantPath):
    """The merchant's own limits and what today's refunds have used. Any of its staff."""
    return limits.get_limits(current_user(), path.merchant_id)


@merchant_api.put("/merchants/<merchant_id>/limits", responses={200: MerchantLimitsOut})
def set_limits(path: MerchantPath, body: MerchantLimitsBody):
    """Set the largest charge and the daily refund total (null: none). The owner; audited."""
    return limits.set_by_owner(current_user(), path.merchant_id, **body.model_dump())


@admin_api.put("/merchants/<merchant_id>/limits", responses={200: MerchantLimitsOut})
def set_merchant_limits(path: MerchantPath, body: MerchantLimitsBody):
    """Set a merchant's limits for it (admins; audited)."""
    return limits.set_by_operator(require("configuration"), path.merchant_id, **body.model_dump())

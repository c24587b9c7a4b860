"""Merchant staff: who works for the shop, in which role (app.merchant.roles)."""
from app.auth.current import current_user, user_blueprint
from app.merchant.schemas import MerchantPath
from app.merchant.staff import services
from app.merchant.staff.schemas import AddStaffBody, ChangeRoleBody, StaffList, StaffOut, StaffPath

staff_api = user_blueprint("merchant_staff", __name__, "merchants")


@staff_api.get("/merchants/<merchant_id>/staff", responses={200: StaffList})
def list_staff(path: MerchantPath):
    """The merchant's staff and their roles. Owners and managers."""
    return {"data": services.list_staff(current_user(), path.merchant_id)}


@staff_api.post("/merchants/<merchant_id>/staff", responses={201: StaffOut})
def add_staff(path: MerchantPath, body: AddStaffBody):
    """Add an existing, verified user in a role. Owners give any role; managers add cashiers."""
    return services.add_staff(current_user(), path.merchant_id, **body.model_dump()), 201


@staff_api.patch("/merchants/<merchant_id>/staff/<staff_id>", responses={200: StaffOut})
def change_role(path: StaffPath, body: ChangeRoleBody):
    """Change a member's role. Owners only; the last owner cannot be demoted."""
    return services.change_role(current_user(), path.merchant_id, path.staff_id, role=body.role)


@staff_api.delete("/merchants/<merchant_id>/staff/<staff_id>", responses={204: None})
def remove_staff(path: StaffPath):
    """Remove a member. Owners remove anyone but the last owner; managers remove cashiers."""
    services.remove_staff(current_user(), path.merchant_id, path.staff_id)
    return "", 204

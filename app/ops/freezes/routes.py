"""Freezes: operators (support, admin) freeze and lift any user's wallets; a user freezes their own
(lost phone) and lifts their own with the PIN and a fresh sign-in. The rules: README, "Running
the wallet", Freezes."""
from app.auth.current import current_user, user_blueprint
from app.auth.operator_roles import operator_blueprint, require
from app.ops.freezes import services
from app.ops.freezes.schemas import (FreezeList, FreezeOut, FreezePath, FreezeQuery, MyFreezeBody, MyFreezeQuery,
                                     MyLiftBody,
                                     OperatorFreezeBody, OperatorLiftBody)

freezes_api = operator_blueprint("freezes", __name__)
my_freezes_api = user_blueprint("my_freezes", __name__, "freezes")


@freezes_api.post("/freezes", responses={201: FreezeOut, 404: None})
def operator_freeze(body: OperatorFreezeBody):
    """Freeze one wallet of a user, or all of them. Support or admin; audited. Applies to every
    posting that commits after this answer; payments already in flight finish first."""
    return services.set_freeze("operator", require("freeze"), **body.model_dump()), 201


@freezes_api.get("/freezes", responses={200: FreezeList})
def operator_list(query: FreezeQuery):
    """Freezes, newest first, by user and whether they apply now. Any operator."""
    require("read")
    return services.list_freezes(user_id=query.user_id, active=query.active, cursor=query.cursor, limit=query.limit)


@freezes_api.post("/freezes/<freeze_id>/lift", responses={200: FreezeOut, 409: None})
def operator_lift(path: FreezePath, body: OperatorLiftBody):
    """Lift any freeze, the user's own included. Support or admin; audited. 409 freeze_not_active
    if it was lifted already or has ended."""
    return services.lift_by_operator(require("freeze"), path.freeze_id, body.reason)


@my_freezes_api.post("/me/freezes", responses={201: FreezeOut, 404: None})
def my_freeze(body: MyFreezeBody):
    """Freeze your own wallet, or all of them (a lost phone). No PIN needed: stopping money is
    always allowed. Audited."""
    return services.set_freeze("user", current_user().id, user_id=current_user().id, wallet_id=body.wallet_id,
                               scope=body.scope, reason=body.reason, ends_at=None), 201


@my_freezes_api.get("/me/freezes", responses={200: FreezeList})
def my_list(query: MyFreezeQuery):
    """Your freezes, newest first, operators' included."""
    return services.list_freezes(user_id=current_user().id, active=query.active, cursor=query.cursor,
                                 limit=query.limit)


@my_freezes_api.post("/me/freezes/<freeze_id>/lift", responses={200: FreezeOut, 409: None})
def my_lift(path: FreezePath, body: MyLiftBody):
    """Lift a freeze you set, with your payment PIN and a sign-in of the last FRESH_SIGN_IN_SECONDS
    (403 fresh_sign_in_required: sign in again). An operator's freeze is 403 freeze_set_by_operator."""
    return services.lift_by_user(current_user(), path.freeze_id, body.pin)

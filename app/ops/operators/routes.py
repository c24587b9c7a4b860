"""Operator roles: who runs the wallet, in which role (app.auth.operator_roles)."""
from app.auth.operator_roles import operator_blueprint, require
from app.ops.operators import services
from app.ops.operators.schemas import GrantBody, OperatorList, OperatorOut, RolePath

operators_api = operator_blueprint("operators", __name__)


@operators_api.get("/operators", responses={200: OperatorList})
def list_operators():
    """Every operator and their roles. Any operator."""
    require("read")
    return {"data": services.list_operators()}


@operators_api.post("/operators", responses={201: OperatorOut})
def grant_role(body: GrantBody):
    """Give an existing, verified user an operator role. Admins only; audited."""
    return services.grant(require("operators"), **body.model_dump()), 201


@operators_api.delete("/operators/<user_id>/roles/<role>", responses={204: None})
def revoke_role(path: RolePath):
    """Take an operator role away. Admins only; the last admin keeps theirs; audited."""
    services.revoke(require("operators"), path.user_id, path.role)
    return "", 204

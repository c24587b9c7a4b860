"""The audit trail, for operators: who did what, filtered, newest first."""
from app.auth.operator_roles import operator_blueprint, require
from app.ops.audit import services
from app.ops.audit.schemas import AuditList, AuditQuery

audit_api = operator_blueprint("audit", __name__)


@audit_api.get("/audit", responses={200: AuditList})
def list_audit(query: AuditQuery):
    """Audit records, newest first, filtered by actor, object, action and time. Any operator."""
    require("read")
    return services.list_records(**query.model_dump())

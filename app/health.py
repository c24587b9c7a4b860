"""Liveness and readiness, for load balancers and orchestrators; metrics, for Prometheus."""
from typing import Literal

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from sqlalchemy import text

from app.core.observability import metrics_response
from app.core.uow import end_read
from app.extensions import db

health_api = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]]


@health_api.get("/healthz", responses={200: Health})
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@health_api.get("/readyz", responses={200: Readiness, 503: Readiness})
def readyz():
    """The database and the store (Redis, when configured) answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any failure means "not ready"; the details go to the log
        current_app.logger.exception("readiness: database")
        checks["database"] = "unavailable"
    finally:
        end_read()
    try:
        current_app.extensions["store"].ping()
        checks["store"] = "ok"
    except Exception:
        current_app.logger.exception("readiness: store")
        checks["store"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


@health_api.get("/metrics", responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, 404: None},
                security=[{"bearer": []}])
def metrics():
    """Prometheus metrics (text format), with `Authorization: Bearer <METRICS_TOKEN>`; a 404 for
    anyone else and when no token is configured. What they are: README, Watching it."""
    return metrics_response()

"""``/healthz`` (the process is alive), ``/readyz`` (database reachable, migrations at head), ``/metrics``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from services.common.migrate import current_revision, head_revision
from services.common.openapi_examples import answer
from services.common.operation_ids import operation_id
from services.common.responses import FastJSONResponse
from services.common.state import ServiceState

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"], generate_unique_id_function=operation_id)


@router.get(
    "/healthz",
    summary="Liveness: the process answers",
    responses=answer({"status": "ok", "service": "facilities"}),
)
def healthz(request: Request) -> dict[str, str]:
    state: ServiceState[Any] = request.app.state.service
    return {"status": "ok", "service": state.name}


@router.get(
    "/readyz",
    summary="Readiness: database reachable and migrated to head",
    responses=answer(
        {
            "status": "ready",
            "service": "facilities",
            "checks": {
                "database": "ok",
                "migrations": {
                    "current": "facilities_0006",
                    "head": "facilities_0006",
                    "at_head": True,
                },
            },
        }
    ),
)
def readyz(request: Request) -> FastJSONResponse:
    state: ServiceState[Any] = request.app.state.service
    checks: dict[str, object] = {}
    ready = True
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = current_revision(connection)
        head = head_revision(state.name)
        checks["database"] = "ok"
        checks["migrations"] = {"current": current, "head": head, "at_head": current == head}
        ready = current == head
    except Exception as exc:  # any driver error means "not ready", with the reason
        log.warning("readiness check failed", extra={"error": str(exc)})
        checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = False
    for name, check in state.readiness_checks.items():
        ok, detail = check()
        checks[name] = detail
        ready = ready and ok
    body = {"status": "ready" if ready else "not ready", "service": state.name, "checks": checks}
    return FastJSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    state: ServiceState[Any] = request.app.state.service
    return Response(state.metrics.render(), media_type=state.metrics.content_type)

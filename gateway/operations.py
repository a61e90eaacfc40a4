"""The gateway's /readyz (its database plus every upstream) and /openapi.json (merged); /docs and
/redoc are every app's (services/common/docs.py), reading this merged document."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.openapi.utils import get_openapi
from pyreqwest.exceptions import TransportError
from sqlalchemy import text

from gateway import openapi, routes
from gateway.caller import client_ip, identify
from gateway.clients import Upstream
from gateway.context import gateway_of
from services.common.health import router as health_router
from services.common.migrate import current_revision, head_revision
from services.common.openapi_examples import answer, finish
from services.common.operation_ids import operation_id
from services.common.responses import FastJSONResponse

router = APIRouter(tags=["operations"], generate_unique_id_function=operation_id)
PROBE_TIMEOUT_S = 2.0


async def probe(upstream: Upstream) -> dict[str, Any]:
    """One upstream's own readiness, without touching its breaker (a probe is not traffic)."""
    detail: dict[str, Any] = {"url": upstream.base_url, "breaker": upstream.breaker_state}
    try:
        request = upstream.client.get(upstream.base_url + "/readyz")
        response = await request.timeout(timedelta(seconds=PROBE_TIMEOUT_S)).build().send()
        detail["status"] = "ready" if response.status == 200 else f"not ready ({response.status})"
        detail["ready"] = response.status == 200
    except (TimeoutError, TransportError) as exc:
        detail["status"] = f"unreachable: {type(exc).__name__}"
        detail["ready"] = False
    return detail


def _database_check(request: Request) -> dict[str, Any]:
    state = request.app.state.service
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = current_revision(connection)
        head = head_revision(state.name)
        return {"ready": current == head, "current": current, "head": head}
    except Exception as exc:
        return {"ready": False, "status": f"unreachable: {type(exc).__name__}"}


@router.get(
    "/readyz",
    summary="Readiness: the gateway's database, rate-limit storage and every upstream",
    responses=answer(
        {"status": "ready", "service": "gateway"},
        description="`ready`, or `degraded` while some upstreams are down; admins also get "
        "`checks` (the database, the rate-limit storage, each upstream's URL, breaker and state).",
    ),
)
async def readyz(
    request: Request,
    strict: bool = Query(False, description="answer 503 when any upstream is not ready"),
) -> FastJSONResponse:
    """200 `ready` when all is well; 200 `degraded` when some (not all) upstreams are down, since
    the gateway still serves the rest; 503 when its own database is down or no upstream is ready
    (or, with `strict=true`, when any upstream is not ready). The checks behind the status
    (upstream URLs, database revisions) are shown to admins only."""
    gateway = gateway_of(request)
    caller = await identify(gateway, request, client_ip(request, gateway.forwarded))
    names = list(gateway.upstreams)
    database, storage, *probes = await asyncio.gather(
        anyio.to_thread.run_sync(_database_check, request),
        gateway.limiter.check_storage(),
        *(probe(gateway.upstreams[name]) for name in names),
    )
    upstreams = dict(zip(names, probes, strict=True))
    up = [name for name, p in upstreams.items() if p["ready"]]
    own_ok = bool(database["ready"])
    if own_ok and len(up) == len(names):
        status, code = "ready", 200
    elif own_ok and up and not strict:
        status, code = "degraded", 200
    else:
        status, code = "not ready", 503
    if caller is None or caller.role != "admin":
        return FastJSONResponse({"status": status, "service": "gateway"}, status_code=code)
    body = {
        "status": status,
        "service": "gateway",
        "checks": {
            "database": database,
            "rate_limit_storage": {
                "ready": storage,
                "kind": gateway.limiter.storage_kind,
            },
            "upstreams": upstreams,
        },
    }
    return FastJSONResponse(body, status_code=code)


def base_document(request: Request) -> dict[str, Any]:
    app = request.app
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=[
            *router.routes,
            *routes.router.routes,
            *(r for r in health_router.routes if getattr(r, "path", "") != "/readyz"),
        ],
        tags=app.openapi_tags,
    )
    return finish(document)


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> FastJSONResponse:
    gateway = gateway_of(request)
    if "base" not in gateway.openapi_cache:
        gateway.openapi_cache["base"] = base_document(request)
    return FastJSONResponse(await openapi.merged_document(gateway, gateway.openapi_cache["base"]))

"""The gateway's own public routes: aggregated views and API-key administration."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import aggregate, keys, repository
from gateway.caller import CallerDep
from gateway.context import gateway_of
from gateway.disconnect import ClientGone, unless_disconnected
from services.common.db import transaction
from services.common.errors import NotFound
from services.common.openapi_examples import answer
from services.common.operation_ids import operation_id
from services.common.responses import FastJSONResponse

router = APIRouter(prefix="/api/v1", generate_unique_id_function=operation_id)
#: Names the fields a degraded nearby answer left null (also in its body's ``degraded``).
DEGRADED_HEADER = "X-Degraded"
#: Logged and counted when the caller hung up before the answer (nginx's code for it).
CLIENT_CLOSED_REQUEST = 499

DASHBOARD_EXAMPLE = {
    "region_code": "110105000000",
    "region": {"code": "110105000000", "name": "朝阳区", "level": "district"},
    "facilities": {
        "status": "ok",
        "registry_version": 412,
        "total": 3,
        "by_type": {"community_station": 2, "nursing_home": 1},
        "by_status": {"active": 2, "planned": 1},
        "capacity": 320,
    },
    "beds": {
        "status": "ok",
        "indicators": {
            "period": "2026-10",
            "total_beds": 320,
            "nursing_beds": 200,
            "nursing_share": 0.625,
        },
        "compliance": [
            {"indicator": "nursing_share", "threshold": 0.55, "value": 0.625, "met": True}
        ],
    },
    "coverage": {"status": "unavailable", "reason": "coverage: upstream coverage is unreachable"},
    "unavailable": ["coverage"],
}
NEARBY_EXAMPLE = {
    "ranking": "walking",
    "degraded": [],
    "degraded_reasons": {},
    "items": [
        {
            "id": 12,
            "name": "双井街道社区养老服务站",
            "type": "community_station",
            "lon": 116.461,
            "lat": 39.894,
            "distance_m": 300.0,
            "walk_minutes": 4.0,
            "network_distance_m": 320.0,
            "free_beds": 3,
            "beds_period": "2026-10",
            "beds_status": "ok",
            "open_now": True,
        }
    ],
}

KEY_EXAMPLE: dict[str, Any] = {
    "key_id": "d69a904b8965",
    "role": "official",
    "region_code": "110105000000",
    "facility_ids": [],
    "label": "朝阳区民政局",
    "created_at": "2026-12-06T03:37:01.894740Z",
    "revoked_at": None,
    "api_key": None,
}

RegionCode = Annotated[
    str,
    Path(
        pattern=r"^\d{6}(\d{6})?$",
        description="6- or 12-digit division code",
        examples=["110105000000"],
    ),
]


@router.get(
    "/regions/{code}/dashboard",
    tags=["aggregated views"],
    summary="One region's facilities, bed indicators against targets and latest coverage",
    responses={
        200: {
            "description": "Parts whose service is down are marked `unavailable`.",
            "content": {"application/json": {"example": DASHBOARD_EXAMPLE}},
        }
    },
)
async def region_dashboard(
    request: Request,
    caller: CallerDep,
    code: RegionCode,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-10"])] = None,
) -> Response:
    """Facilities by type and status, bed indicators and compliance, latest coverage run."""
    work = aggregate.dashboard(gateway_of(request), caller, code.ljust(12, "0"), period)
    try:
        body = await unless_disconnected(request, work)
    except ClientGone:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    return FastJSONResponse(body)


@router.get(
    "/nearby",
    tags=["aggregated views"],
    summary="Nearest stations by walking minutes, with free beds and open-now",
    responses={
        200: {
            "description": "`ranking` is `walking`, or `straight_line` when walking times are "
            "unavailable. `degraded` names the fields a failing service left null "
            "(`walk_minutes`, `free_beds`; reasons in `degraded_reasons`), as does the "
            "`X-Degraded` header.",
            "content": {"application/json": {"example": NEARBY_EXAMPLE}},
        }
    },
)
async def nearby(
    request: Request,
    caller: CallerDep,
    lon: Annotated[float, Query(ge=-180, le=180, examples=[116.4074])],
    lat: Annotated[float, Query(ge=-90, le=90, examples=[39.9042])],
    k: Annotated[int, Query(ge=1, le=25, description="how many stations")] = 5,
    radius_m: Annotated[float, Query(gt=0, le=20_000, description="search radius, metres")] = 2000,
    type: Annotated[
        str | None,
        Query(
            description="comma-separated facility types", examples=["community_station,day_care"]
        ),
    ] = None,
) -> Response:
    """What a mobile app wants in one call (see the aggregated views in docs/gateway.md)."""
    work = aggregate.nearby(
        gateway_of(request), caller, lon=lon, lat=lat, k=k, radius_m=radius_m, types=type
    )
    try:
        body = await unless_disconnected(request, work)
    except ClientGone:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    degraded = body["degraded"]
    return FastJSONResponse(
        body, headers={DEGRADED_HEADER: ", ".join(degraded)} if degraded else None
    )


class KeyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "official", "region_code": "110105", "label": "朝阳区民政局"}]
        }
    )

    role: Literal["public", "operator", "official", "planner", "admin"]
    region_code: str | None = Field(None, pattern=r"^\d{6}(\d{6})?$", examples=["110105000000"])
    facility_ids: list[int] = Field(
        default_factory=list, description="operators: the facilities they report for"
    )
    label: str | None = Field(None, max_length=200)


class KeyOut(BaseModel):
    key_id: str
    role: str
    region_code: str | None
    facility_ids: list[int]
    label: str | None
    created_at: Any
    revoked_at: Any = None
    api_key: str | None = Field(None, description="the full key; shown once, at creation")


def _out(row: Any, full_key: str | None = None) -> KeyOut:
    return KeyOut(
        key_id=row.key_id,
        role=row.role,
        region_code=row.region_code,
        facility_ids=list(row.facility_ids or []),
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        api_key=full_key,
    )


def create_key_row(sessions: Any, data: KeyIn) -> KeyOut:
    """Make and store a key; returns it with the full key text (never stored)."""
    key = keys.new_key()
    region = data.region_code.ljust(12, "0") if data.region_code else None
    with transaction(sessions) as session:
        row = repository.create_api_key(
            session,
            key=key,
            role=data.role,
            region_code=region,
            facility_ids=data.facility_ids,
            label=data.label,
        )
        return _out(row, key.full_key)


@router.post(
    "/gateway/keys",
    tags=["administration"],
    status_code=201,
    summary="Create an API key (admin)",
    responses=answer(
        {**KEY_EXAMPLE, "api_key": "cc_d69a904b8965_-wv9FUHFCUQQ7GadxZbIPQ4WTevvgt546cijfVLY0lg"},
        201,
    ),
)
async def create_key(request: Request, caller: CallerDep, data: KeyIn) -> KeyOut:
    """The full key is in `api_key`, shown this once."""
    sessions = request.app.state.service.write_sessions
    return await anyio.to_thread.run_sync(create_key_row, sessions, data)


@router.get(
    "/gateway/keys",
    tags=["administration"],
    summary="List API keys (admin)",
    responses=answer({"items": [KEY_EXAMPLE]}),
)
async def list_keys(
    request: Request, caller: CallerDep, include_revoked: bool = False
) -> dict[str, list[KeyOut]]:
    def run() -> list[KeyOut]:
        with request.app.state.service.read_sessions() as session:
            return [
                _out(r) for r in repository.list_api_keys(session, include_revoked=include_revoked)
            ]

    return {"items": await anyio.to_thread.run_sync(run)}


@router.delete(
    "/gateway/keys/{key_id}",
    tags=["administration"],
    summary="Revoke an API key (admin)",
    responses=answer({**KEY_EXAMPLE, "revoked_at": "2026-12-07T09:00:00Z"}),
)
async def revoke_key(
    request: Request, caller: CallerDep, key_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]
) -> KeyOut:
    def run() -> KeyOut | None:
        with transaction(request.app.state.service.write_sessions) as session:
            row = repository.revoke_api_key(session, key_id=key_id)
            return _out(row) if row is not None else None

    out = await anyio.to_thread.run_sync(run)
    if out is None:
        raise NotFound(f"no API key {key_id}", key_id=key_id)
    gateway_of(request).authenticator.forget(key_id)
    return out

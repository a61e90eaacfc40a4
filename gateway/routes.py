"""The gateway's own public routes: aggregated views and API-key administration."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import aggregate, keys, repository
from gateway import nearby as nearby_view
from gateway.caller import CallerDep
from gateway.context import gateway_of
from gateway.disconnect import ClientGone, unless_disconnected
from services.common.db import transaction
from services.common.errors import NotFound
from services.common.openapi_examples import answer, keep_nulls
from services.common.operation_ids import operation_id
from services.common.responses import FastJSONResponse
from services.common.validation import DbId, TextChecked
from services.facilities import crs as crs_mod
from services.facilities.crs import CrsName

router = APIRouter(prefix="/api/v1", generate_unique_id_function=operation_id)
#: Names the fields a degraded nearby answer left null (also in its body's ``degraded``).
DEGRADED_HEADER = "X-Degraded"
#: Logged and counted when the caller hung up before the answer (nginx's code for it).
CLIENT_CLOSED_REQUEST = 499
#: Stations per page of /api/v1/nearby: by default, and at most.
DEFAULT_PAGE, MAX_PAGE = 5, 25

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
    "total": 7,
    "next_cursor": "eyJ2IjoxLCJxIjoiOWY4ZTJkMWMzYjRhNTY3OCIsIm0iOiJ3YWxrIiwibiI6MSwiayI6WzQuMCwzMDAuMCwxMl19",
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
    summary="Usable stations near a person: walking minutes, free beds, open now; paged",
    responses={
        200: {
            "description": "`ranking` is `walking` (street network), `straight_line` (sort="
            "`distance`, or walking times unavailable) or `rating`. `degraded` names the fields a "
            "failing service left null (`walk_minutes`, `free_beds`; reasons in "
            "`degraded_reasons`), as does the `X-Degraded` header.",
            "content": {"application/json": {"example": keep_nulls(NEARBY_EXAMPLE)}},
        }
    },
)
async def nearby(
    request: Request,
    caller: CallerDep,
    lon: Annotated[
        float,
        Query(ge=-180, le=180, description="The person's longitude, in `crs`", examples=[106.5335]),
    ],
    lat: Annotated[
        float,
        Query(ge=-90, le=90, description="The person's latitude, in `crs`", examples=[29.6002]),
    ],
    crs: Annotated[
        CrsName,
        Query(
            description="CRS of `lon`/`lat` in and of the items' `lon`/`lat` out: wgs84 (GPS), "
            "gcj02 (AMap/Tencent maps), bd09 (Baidu maps)",
            examples=["gcj02"],
        ),
    ] = "wgs84",
    radius_m: Annotated[
        float, Query(gt=0, le=20_000, description="Search radius, metres (straight line)")
    ] = 2000,
    k: Annotated[
        int | None,
        Query(
            ge=1,
            le=nearby_view.MAX_K,
            description="At most the k nearest matches over all pages (default: all within "
            "`radius_m`, at most 1000)",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE, description="Stations per page (default 5, or `k` up to 25)"),
    ] = None,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page (same query)")
    ] = None,
    sort: Annotated[
        nearby_view.Sort,
        Query(
            description="`walk`: fewest minutes along the street network first; `distance`: "
            "straight line; `rating`: most stars first (unrated last), ties by distance",
        ),
    ] = "walk",
    type: Annotated[
        str | None,
        Query(
            description="Facility types, comma-separated", examples=["community_station,day_care"]
        ),
    ] = None,
    status: Annotated[
        str | None,
        Query(
            description="Statuses, comma-separated; default `active` (stations a person can use "
            "today): ask for `planned`, `suspended` or `closed` ones explicitly",
            examples=["active,planned"],
        ),
    ] = None,
    services: Annotated[
        str | None,
        Query(
            description="Only stations offering all of these services, comma-separated "
            "(meal 助餐, bathing 助浴, cleaning 助洁, medical 助医 …)",
            examples=["meal,bathing"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Keyword in the name (as written, or ignoring width, case, spaces and punctuation)",
            examples=["龙溪"],
        ),
    ] = None,
    min_stars: Annotated[
        int | None, Query(ge=0, le=5, description="Star rating at least this (unrated excluded)")
    ] = None,
    open_now: Annotated[
        bool, Query(description="Only stations open now by their weekly hours")
    ] = False,
) -> Response:
    """What a mobile app wants in one call (docs/gateway.md, "The one-call nearby")."""
    gateway = gateway_of(request)
    filters = [
        ("status", status or "active"),
        *(
            (name, value)
            for name, value in (("type", type), ("services", services), ("q", q))
            if value
        ),
        *((("min_stars", str(min_stars)),) if min_stars is not None else ()),
        *((("open_now", "true"),) if open_now else ()),
        # Opening hours are read in the gateway's time zone (open_now, per item and as a filter).
        ("tz", gateway.settings.timezone),
    ]
    wgs_lon, wgs_lat = (lon, lat) if crs == "wgs84" else crs_mod.point_to_wgs84(lon, lat, crs)
    query = nearby_view.NearbyQuery(
        lon=wgs_lon,
        lat=wgs_lat,
        crs=crs,
        radius_m=radius_m,
        k=k or nearby_view.MAX_K,
        limit=limit or min(k or DEFAULT_PAGE, MAX_PAGE),
        sort=sort,
        cursor=cursor,
        filters=tuple(filters),
    )
    try:
        body = await unless_disconnected(request, nearby_view.nearby(gateway, caller, query))
    except ClientGone:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    degraded = body["degraded"]
    return FastJSONResponse(
        body, headers={DEGRADED_HEADER: ", ".join(degraded)} if degraded else None
    )


class KeyIn(TextChecked):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "official", "region_code": "110105", "label": "朝阳区民政局"}]
        }
    )

    role: Literal["public", "operator", "official", "planner", "admin"]
    region_code: str | None = Field(None, pattern=r"^\d{6}(\d{6})?$", examples=["110105000000"])
    facility_ids: list[DbId] = Field(
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

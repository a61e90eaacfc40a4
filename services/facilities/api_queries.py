"""Read-only query routes: list/search, bounding box, nearby (JSON or GeoJSON by Accept).

The list route is a plain ``def`` with a read session (ADR 0003). The nearby route,
which every mobile app calls, is ``async``, parses its own parameters and answers from
the in-memory index kept at the registry's version (ADR 0075), or — with
``nearby_index`` off — runs one read itself (inline on SQLite, ADR 0071; asyncpg on
PostGIS, ADR 0073); its work is :mod:`services.facilities.nearby_view`, shared with the
fast path that serves most of its requests (``nearby_fastpath``). Both answer with
orjson-rendered JSON, skipping response-model re-validation; the OpenAPI schema still
documents the exact shape (``NearbyPage``, ``FacilityPage``).
"""

from __future__ import annotations

import base64
import math
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from services.common.deps import ReadSessionDep
from services.common.errors import InvalidInput
from services.common.openapi_examples import keep_nulls
from services.common.responses import FastJSONResponse
from services.common.state import ServiceState
from services.common.validation import row_number
from services.facilities import crs as crs_mod
from services.facilities import nearby_view, queries
from services.facilities.examples import NEARBY_EXAMPLE
from services.facilities.geojson import GEOJSON, feature_collection, reproject_items, wants_geojson
from services.facilities.nearby_params import (
    MAX_PAGE,
    NearbyParams,
    openapi_parameters,
    parse_nearby_params,
)
from services.facilities.nearby_view import JSON, checked_list
from services.facilities.schemas import (
    FACILITY_TYPES,
    STATUSES,
    Crs,
    FacilityOut,
    FacilityPage,
    pad_region_code,
)

MAX_EXTERNAL_IDS = 200  # one batch of the beds import's lookup (a URL of ~30 KB at most)
router = APIRouter(prefix="/api/v1", tags=["facility queries"])


class NearbyItem(FacilityOut):
    distance_m: float = Field(
        ..., description="Great-circle distance from the query point, meters."
    )
    straight_line_minutes: float = Field(
        ...,
        description="distance_m walked in a straight line at an elderly pace of 1.0 m/s, minutes "
        "(0.1 min steps): a lower bound. Minutes along the street network are the gateway's "
        "`walk_minutes` (/api/v1/nearby).",
    )
    open_now: bool | None = Field(
        ..., description="Open at `at` (default now) by its weekly hours; null: hours unknown."
    )


class NearbyPage(BaseModel):
    items: list[NearbyItem]
    total: int = Field(
        ...,
        description="How many facilities the whole result set holds (the `k` nearest matches "
        "within `radius_m`), over all pages.",
    )
    next_cursor: str | None = Field(
        None, description="Pass as `cursor=` for the next page; null at the end."
    )


_GEOJSON_CONTENT = {
    GEOJSON: {
        "schema": {"type": "object", "description": "RFC 7946 FeatureCollection of Point features"},
        "example": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": 42,
                    "geometry": {"type": "Point", "coordinates": [106.533, 29.601]},
                    "properties": {
                        "name": "渝北区龙溪街道社区养老服务站",
                        "type": "community_station",
                    },
                }
            ],
            "next_cursor": None,
        },
    }
}

CrsQuery = Annotated[
    Crs,
    Query(
        description="CRS of `lon`/`lat`/`bbox` in and out: wgs84 (default), gcj02 (AMap/Tencent), bd09 (Baidu).",
        examples=["gcj02"],
    ),
]
ListQuery = Annotated[
    list[str] | None,
    Query(description="Comma-separated or repeated values."),
]


def _parse_bbox(bbox: str | None, crs: str) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        parts = [float(p) for p in bbox.split(",")]
    except ValueError as exc:
        raise InvalidInput(
            "bbox must be min_lon,min_lat,max_lon,max_lat (numbers)", field="bbox"
        ) from exc
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise InvalidInput("bbox must be min_lon,min_lat,max_lon,max_lat (4 numbers)", field="bbox")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidInput(
            "bbox needs -180 ≤ min_lon ≤ max_lon ≤ 180 and -90 ≤ min_lat ≤ max_lat ≤ 90",
            field="bbox",
        )
    if crs == "wgs84":
        return min_lon, min_lat, max_lon, max_lat
    # The box's corners in WGS84; the offsets vary smoothly, so the corners' envelope is the box.
    lons, lats = crs_mod.to_wgs84(
        [min_lon, min_lon, max_lon, max_lon], [min_lat, max_lat, min_lat, max_lat], crs
    )
    return float(lons.min()), float(lats.min()), float(lons.max()), float(lats.max())


def _external_ids(values: list[str] | None) -> tuple[str, ...]:
    """Up to ``MAX_EXTERNAL_IDS`` ids of at most 128 characters (a 422 naming the field)."""
    ids = tuple(dict.fromkeys(values or ()))
    if len(ids) > MAX_EXTERNAL_IDS:
        raise InvalidInput(
            f"at most {MAX_EXTERNAL_IDS} external_id values per request, got {len(ids)}",
            field="query.external_id",
        )
    if any(len(v) > 128 for v in ids):
        raise InvalidInput("an external_id is at most 128 characters", field="query.external_id")
    return ids


def _region(region: str | None) -> str | None:
    if region is None:
        return None
    try:
        return pad_region_code(region)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="region") from exc


def encode_list_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id|{last_id}".encode()).decode().rstrip("=")


def decode_list_cursor(token: str) -> int:
    try:
        kind, value = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
        if kind != "id":
            raise ValueError(kind)
        return row_number(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not a list cursor from this API", field="cursor") from exc


@router.get(
    "/facilities",
    summary="List and search facilities",
    response_model=FacilityPage,
    responses={200: {"content": _GEOJSON_CONTENT}},
)
def list_facilities(
    session: ReadSessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Substring of the name (Chinese or not).",
            examples=["养老服务站"],
        ),
    ] = None,
    external_id: Annotated[
        list[str] | None,
        Query(
            description=f"External id; repeat it for up to {MAX_EXTERNAL_IDS} at once (any of them).",
            examples=[["CQ-YB-0001"]],
        ),
    ] = None,
    source: Annotated[str | None, Query(max_length=64, examples=["civil_affairs"])] = None,
    region: Annotated[
        str | None,
        Query(
            description="12-digit division code (6-digit adcodes are padded); descendants included.",
            examples=["500112000000"],
        ),
    ] = None,
    type: Annotated[ListQuery, Query(examples=["community_station,day_care"])] = None,
    status: Annotated[ListQuery, Query(examples=["active"])] = None,
    bbox: Annotated[
        str | None,
        Query(
            description="min_lon,min_lat,max_lon,max_lat in `crs`.",
            examples=["106.4,29.5,106.7,29.8"],
        ),
    ] = None,
    crs: CrsQuery = "wgs84",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, examples=[50])] = 50,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page.", examples=["aWR8Mw"])
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """Facilities in id order, filtered; JSON page, or a GeoJSON FeatureCollection with `Accept: application/geo+json`."""
    filters = queries.FacilityFilter(
        types=checked_list(type, FACILITY_TYPES, "type"),
        statuses=checked_list(status, STATUSES, "status"),
        region=_region(region),
        q=q or None,
        external_ids=_external_ids(external_id),
        source=source,
        bbox=_parse_bbox(bbox, crs),
    )
    after_id = decode_list_cursor(cursor) if cursor else None
    rows = queries.list_facilities(session, filters, after_id=after_id, limit=limit)
    items = [queries.facility_dict(row) for row in rows[:limit]]
    next_cursor = encode_list_cursor(items[-1]["id"]) if len(rows) > limit else None
    reproject_items(items, crs)
    if wants_geojson(accept):
        return FastJSONResponse(
            feature_collection(items, next_cursor=next_cursor), media_type=GEOJSON
        )
    return FastJSONResponse({"items": items, "next_cursor": next_cursor})


@router.get(
    "/facilities/nearby",
    summary="Facilities near a point, nearest first",
    response_model=NearbyPage,
    responses={
        200: {
            "content": {
                "application/json": {"example": keep_nulls(NEARBY_EXAMPLE)},
                **_GEOJSON_CONTENT,
            }
        },
        422: {"description": "Invalid parameter"},
    },
    openapi_extra={"parameters": openapi_parameters(NearbyParams)},
)
async def nearby_facilities(request: Request) -> Any:
    """Nearest usable facilities with `distance_m`, `straight_line_minutes`, `open_now` and `total`; stable cursor paging."""
    params = parse_nearby_params(request.query_params)
    plan = nearby_view.plan(params)
    state: ServiceState[Any] = request.app.state.service
    found = await nearby_view.whole_set(state, plan.query)
    if wants_geojson(request.headers.get("accept")):
        items, next_cursor = nearby_view.page_items(found, plan)
        reproject_items(items, params.crs)
        return FastJSONResponse(
            feature_collection(items, next_cursor=next_cursor), media_type=GEOJSON
        )
    return Response(nearby_view.page_json(found, plan, params.crs), media_type=JSON)

"""OGC API – Features (Part 1: Core and GeoJSON; the API definition is OpenAPI 3.1) under ``/ogc``.

GIS tools (QGIS, GDAL's ``OAPIF`` driver, ArcGIS) read the registry directly:
landing page, conformance, collections ``facilities`` (points) and ``regions``
(multipolygons), items with ``bbox``/``limit``/``offset`` and ``next`` links,
and single items. Coordinates are CRS84 (WGS84 lon/lat), as Part 1 requires.
Invalid parameters answer 400 (the standard's code) as problem+json.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from services.common.deps import ReadSessionDep
from services.common.errors import BadRequest, NotFound
from services.common.responses import FastJSONResponse
from services.common.validation import MAX_INT
from services.facilities import queries
from services.facilities.geojson import GEOJSON, point_feature

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

JSON = "application/json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.1"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]  # not "oas30": FastAPI publishes OpenAPI 3.1
COLLECTIONS: dict[str, dict[str, str]] = {
    "facilities": {
        "title": "Elderly-care facilities",
        "description": "养老机构、街道/乡镇综合养老服务中心、社区养老服务站 … as points (one per facility).",
    },
    "regions": {
        "title": "Administrative regions",
        "description": "Province → community divisions with population and elderly counts (multipolygons).",
    },
}
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
WORLD = [-180.0, -90.0, 180.0, 90.0]

LimitQuery = Annotated[
    int,
    Query(
        ge=1, description="Features per page; more than 10000 is served as 10000.", examples=[100]
    ),
]
OffsetQuery = Annotated[
    int,
    Query(ge=0, le=MAX_INT, description="Features to skip (use the `next` link).", examples=[0]),
]
BboxQuery = Annotated[
    str | None,
    Query(
        description="min_lon,min_lat,max_lon,max_lat (CRS84).", examples=["106.4,29.5,106.7,29.8"]
    ),
]


CollectionId = Annotated[
    str, Path(description="`facilities` or `regions`.", examples=["facilities"])
]
FeatureId = Annotated[
    str,
    Path(description="Facility id, or a region's 12-digit code.", examples=["42", "500112000000"]),
]

_HOST = "http://127.0.0.1:8001/ogc"
_FEATURE_EXAMPLE = {
    "type": "Feature",
    "id": 42,
    "geometry": {"type": "Point", "coordinates": [106.533, 29.601]},
    "properties": {
        "name": "渝北区龙溪街道社区养老服务站",
        "type": "community_station",
        "status": "active",
    },
}
_COLLECTION_EXAMPLE = {
    "id": "facilities",
    **COLLECTIONS["facilities"],
    "itemType": "feature",
    "crs": [CRS84],
    "extent": {"spatial": {"bbox": [[106.3, 29.35, 106.85, 29.85]], "crs": CRS84}},
    "links": [
        {"href": f"{_HOST}/collections/facilities", "rel": "self", "type": JSON},
        {"href": f"{_HOST}/collections/facilities/items", "rel": "items", "type": GEOJSON},
    ],
}
EXAMPLES: dict[str, dict[str, Any]] = {
    "landing": {
        "title": "CareCircle facilities — OGC API Features",
        "links": [
            {"href": _HOST, "rel": "self", "type": JSON},
            {"href": f"{_HOST}/conformance", "rel": "conformance", "type": JSON},
            {"href": f"{_HOST}/collections", "rel": "data", "type": JSON},
        ],
    },
    "conformance": {"conformsTo": CONFORMANCE},
    "collections": {"links": [], "collections": [_COLLECTION_EXAMPLE]},
    "collection": _COLLECTION_EXAMPLE,
    "items": {
        "type": "FeatureCollection",
        "features": [_FEATURE_EXAMPLE],
        "numberMatched": 120,
        "numberReturned": 1,
        "links": [
            {
                "href": f"{_HOST}/collections/facilities/items?limit=1&offset=1",
                "rel": "next",
                "type": GEOJSON,
            }
        ],
    },
    "item": _FEATURE_EXAMPLE,
}


def _doc(name: str, media_type: str = JSON) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"example": EXAMPLES[name]}}}}


class GeoJSONResponse(FastJSONResponse):
    media_type = GEOJSON


def _root(request: Request) -> str:
    """The public root URL links start from: ``FACILITIES_PUBLIC_URL`` when configured, else
    ``X-Forwarded-*`` when the operator says only trusted proxies reach the service
    (``FACILITIES_TRUST_FORWARDED_HEADERS``), else the address the request came to.

    Links must point where the client can follow them (GDAL and QGIS page through
    ``next`` links), and never where any caller's headers say (issue 13, item 10).
    """
    settings = request.app.state.service.settings
    public_url = str(getattr(settings, "public_url", "") or "").rstrip("/")
    if public_url:
        return public_url
    host = request.headers.get("x-forwarded-host")
    if not host or not getattr(settings, "trust_forwarded_headers", False):
        return str(request.base_url).rstrip("/")
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return f"{proto}://{host.split(',')[0].strip()}{prefix}"


def _base(request: Request) -> str:
    return _root(request) + "/ogc"


def _link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media_type}
    if title:
        link["title"] = title
    return link


def _json(body: dict[str, Any], media_type: str = JSON) -> FastJSONResponse:
    return FastJSONResponse(body, media_type=media_type)


def _is_row_id(feature_id: str) -> bool:
    """ASCII digits within the id column's range (anything else names no facility: 404)."""
    return feature_id.isascii() and feature_id.isdigit() and 0 < int(feature_id) <= MAX_INT


def _check_collection(collection_id: str) -> None:
    if collection_id not in COLLECTIONS:
        raise NotFound(f"no collection {collection_id!r}; there are: {', '.join(COLLECTIONS)}")


def _parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        parts = [float(p) for p in bbox.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # 3D box: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise BadRequest(
            "bbox must be min_lon,min_lat,max_lon,max_lat",
            errors=[{"field": "bbox", "message": "4 numbers"}],
        )
    min_lon, min_lat, max_lon, max_lat = parts
    if not (min_lon <= max_lon and min_lat <= max_lat):
        raise BadRequest(
            "bbox minimum exceeds its maximum", errors=[{"field": "bbox", "message": "min > max"}]
        )
    return max(min_lon, -180.0), max(min_lat, -90.0), min(max_lon, 180.0), min(max_lat, 90.0)


def _collection(request: Request, session: Session, collection_id: str) -> dict[str, Any]:
    base = _base(request)
    extent = (
        queries.facilities_extent(session)
        if collection_id == "facilities"
        else queries.regions_extent(session)
    )
    items = f"{base}/collections/{collection_id}/items"
    return {
        "id": collection_id,
        **COLLECTIONS[collection_id],
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(extent) if extent else WORLD], "crs": CRS84}},
        "links": [
            _link(f"{base}/collections/{collection_id}", "self", JSON, "this collection"),
            _link(items, "items", GEOJSON, f"{collection_id} as GeoJSON"),
        ],
    }


def _region_feature(row: Any) -> dict[str, Any]:
    properties = {
        c.name: row[c.name] for c in queries.REGION_COLUMNS if c.name not in ("code", "geom")
    }
    properties["code"] = row["code"]
    geometry = shapely.geometry.mapping(row["geom"]) if row["geom"] is not None else None
    return {"type": "Feature", "id": row["code"], "geometry": geometry, "properties": properties}


@router.get("", summary="Landing page", responses=_doc("landing"))
def landing_page(request: Request) -> Any:
    """OGC API landing page: links to the API definition, conformance and collections."""
    base = _base(request)
    root = _root(request)
    return _json(
        {
            "title": "CareCircle facilities — OGC API Features",
            "description": "Elderly-care facilities and administrative regions for GIS tools.",
            "links": [
                _link(base, "self", JSON, "this document"),
                _link(f"{root}/openapi.json", "service-desc", OPENAPI_JSON, "the API definition"),
                _link(f"{root}/docs", "service-doc", "text/html", "the API documentation"),
                _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
                _link(f"{base}/collections", "data", JSON, "the collections"),
            ],
        }
    )


@router.get("/conformance", summary="Conformance classes", responses=_doc("conformance"))
def conformance() -> Any:
    """The OGC API – Features classes this service implements."""
    return _json({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="Feature collections", responses=_doc("collections"))
def collections(request: Request, session: ReadSessionDep) -> Any:
    """The two collections, `facilities` and `regions`, with extents and item links."""
    base = _base(request)
    return _json(
        {
            "links": [_link(f"{base}/collections", "self", JSON, "the collections")],
            "collections": [_collection(request, session, cid) for cid in COLLECTIONS],
        }
    )


@router.get("/collections/{collection_id}", summary="One collection", responses=_doc("collection"))
def collection(request: Request, session: ReadSessionDep, collection_id: CollectionId) -> Any:
    """Metadata of `facilities` or `regions`."""
    _check_collection(collection_id)
    return _json(_collection(request, session, collection_id))


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection",
    response_class=GeoJSONResponse,
    responses=_doc("items", GEOJSON),
)
def items(
    request: Request,
    session: ReadSessionDep,
    collection_id: CollectionId,
    bbox: BboxQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    offset: OffsetQuery = 0,
) -> Any:
    """A GeoJSON FeatureCollection page with `numberMatched`, `numberReturned` and `next`/`prev` links."""
    _check_collection(collection_id)
    box = _parse_bbox(bbox)
    limit = min(limit, MAX_LIMIT)  # OGC API Features: clamp, do not refuse
    if collection_id == "facilities":
        rows, matched = queries.page_of_facilities(
            session, queries.FacilityFilter(bbox=box), offset=offset, limit=limit
        )
        features = [point_feature(queries.facility_dict(row)) for row in rows]
    else:
        rows, matched = queries.page_of_regions(session, bbox=box, offset=offset, limit=limit)
        features = [_region_feature(row) for row in rows]
    url = f"{_base(request)}/collections/{collection_id}/items"
    keep = f"&bbox={bbox}" if bbox else ""
    links = [_link(f"{url}?limit={limit}&offset={offset}{keep}", "self", GEOJSON, "this page")]
    if offset + len(features) < matched:
        links.append(
            _link(
                f"{url}?limit={limit}&offset={offset + limit}{keep}", "next", GEOJSON, "next page"
            )
        )
    if offset > 0:
        links.append(
            _link(
                f"{url}?limit={limit}&offset={max(offset - limit, 0)}{keep}",
                "prev",
                GEOJSON,
                "previous page",
            )
        )
    links.append(
        _link(f"{_base(request)}/collections/{collection_id}", "collection", JSON, "the collection")
    )
    return _json(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": links,
        },
        GEOJSON,
    )


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=GeoJSONResponse,
    responses=_doc("item", GEOJSON),
)
def item(
    request: Request, session: ReadSessionDep, collection_id: CollectionId, feature_id: FeatureId
) -> Any:
    """A single facility (by id) or region (by 12-digit code) as a GeoJSON Feature."""
    _check_collection(collection_id)
    feature: dict[str, Any] | None = None
    if collection_id == "facilities":
        row = queries.get_facility(session, int(feature_id)) if _is_row_id(feature_id) else None
        feature = point_feature(queries.facility_dict(row)) if row is not None else None
    else:
        rows, _ = queries.page_of_regions(session, bbox=None, offset=0, limit=1, code=feature_id)
        feature = _region_feature(rows[0]) if rows else None
    if feature is None:
        raise NotFound(f"no feature {feature_id!r} in {collection_id}")
    base = _base(request)
    feature["links"] = [
        _link(
            f"{base}/collections/{collection_id}/items/{feature_id}",
            "self",
            GEOJSON,
            "this feature",
        ),
        _link(f"{base}/collections/{collection_id}", "collection", JSON, "the collection"),
    ]
    return _json(feature, GEOJSON)

"""``GET /api/v1/coverage/streets``: a walking network's streets as simplified GeoJSON.

The base layer of the gateway's /map page (no tile server exists offline). The answer
depends only on the network's content hash and the tolerance, so it is computed once
per (version, tolerance), kept in a small per-app cache, and served with an ETag.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from services.common.openapi_examples import answer
from services.coverage import networks
from services.coverage.runtime import RuntimeDep
from services.coverage.schemas import DbId
from services.coverage.streets import streets_geojson

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])
CACHE_SIZE = 8
GEOJSON = "application/geo+json"
EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[24.93452, 60.16535], [24.93558, 60.16791]],
            },
            "properties": {"length_m": 291.4},
        }
    ],
}


class StreetsCache:
    """Rendered answers by (network version, tolerance); thread-safe, least recently used out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, float], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, float]) -> bytes | None:
        with self.lock:
            body = self.items.get(key)
            if body is not None:
                self.items.move_to_end(key)
            return body

    def put(self, key: tuple[str, float], body: bytes) -> None:
        with self.lock:
            self.items[key] = body
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _cache(request: Request) -> StreetsCache:
    cache = getattr(request.app.state, "streets_cache", None)
    if not isinstance(cache, StreetsCache):
        cache = request.app.state.streets_cache = StreetsCache()
    return cache


@router.get(
    "/streets",
    summary="A walking network's streets as simplified lines (GeoJSON, for maps)",
    response_class=Response,
    responses={
        **answer(EXAMPLE, media_type=GEOJSON, description="Streets, WGS84"),
        304: {"description": "Not modified (If-None-Match)"},
        404: {"description": "No walking network imported yet"},
    },
)
def streets(
    request: Request,
    rt: RuntimeDep,
    network: Annotated[
        DbId | None, Query(description="Network id (default: the latest walking network)")
    ] = None,
    tolerance_m: Annotated[
        float, Query(ge=0, le=100, description="Douglas-Peucker tolerance, meters")
    ] = 5.0,
) -> Response:
    """Each street once, merged end to end and thinned, WGS84 rounded to 5 decimals (≈ 1 m)."""
    meta = networks.walking_network(rt.read_sessions, network)
    key = (meta.version, float(tolerance_m))
    etag = f'"{meta.version[:16]}-{tolerance_m:g}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    cache = _cache(request)
    body = cache.get(key)
    if body is None:
        body = orjson.dumps(streets_geojson(rt.networks.get(meta).net, tolerance_m))
        cache.put(key, body)
    return Response(body, media_type=GEOJSON, headers=headers)

"""services/facilities/nearby_fastpath.py: the plain-ASGI nearby answers what the route answers.

The facilities app (fast path in front) and the query routers alone (no fast path) read the
same database; every answer must be the same bytes, errors the same problem+json, and the
fast path must keep the request id, the metrics' route label and gzip.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.common.validation import check_request_text
from services.facilities import crs
from services.facilities.app import create_app
from services.facilities.settings import FacilitiesSettings
from tests.facilities.queries_support import (
    CENTER_LAT,
    CENTER_LON,
    query_app,
    random_facilities,
    seed_facilities,
)

URL = "/api/v1/facilities/nearby"
GCJ = crs.point_from_wgs84(CENTER_LON, CENTER_LAT, "gcj02")
QUERIES: list[dict[str, Any]] = [
    {"lon": CENTER_LON, "lat": CENTER_LAT},
    {"lon": CENTER_LON, "lat": CENTER_LAT, "k": 30, "limit": 7, "sort": "rating"},
    {"lon": CENTER_LON, "lat": CENTER_LAT, "radius_m": 4000, "type": "community_station,day_care"},
    {"lon": CENTER_LON, "lat": CENTER_LAT, "status": "active,planned", "services": "meal"},
    {"lon": CENTER_LON, "lat": CENTER_LAT, "open_now": "true", "at": "2026-11-25T09:30:00"},
    {"lon": GCJ[0], "lat": GCJ[1], "crs": "gcj02", "k": 5},
    {"lon": CENTER_LON, "lat": CENTER_LAT, "q": "龙溪", "min_stars": 2},
]
BAD: list[dict[str, Any]] = [
    {"lon": 200, "lat": 29},
    {"lat": 29},
    {"lon": 106, "lat": 29, "type": "castle"},
    {"lon": 106, "lat": 29, "cursor": "garbage"},
    {"lon": 106, "lat": 29, "tz": "Mars/Olympus"},
    {"lon": 106, "lat": 29, "q": "\x00"},  # the app-wide check of every query parameter
]


@pytest.fixture
async def clients(
    facilities_db_url: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(the service app, with the fast path; the query routers alone, without it)."""
    seed_facilities(facilities_db_url, random_facilities(300, seed=13))
    fast = create_app(FacilitiesSettings(database_url=facilities_db_url, log_json=False))
    plain = query_app(facilities_db_url)
    async with fast.router.lifespan_context(fast), plain.router.lifespan_context(plain):
        t_fast, t_plain = httpx.ASGITransport(app=fast), httpx.ASGITransport(app=plain)
        async with (
            httpx.AsyncClient(transport=t_fast, base_url="http://test") as a,
            httpx.AsyncClient(transport=t_plain, base_url="http://test") as b,
        ):
            yield a, b


async def test_the_same_bytes_as_the_route(clients: Any) -> None:
    fast, plain = clients
    for params in QUERIES:
        cursor = None
        for _ in range(3):  # first pages and a following one
            page = {**params, **({"cursor": cursor} if cursor else {})}
            a, b = await fast.get(URL, params=page), await plain.get(URL, params=page)
            assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
            assert a.content == b.content, params
            assert a.headers["content-type"] == b.headers["content-type"] == "application/json"
            cursor = a.json()["next_cursor"]
            if cursor is None:
                break


async def test_errors_are_the_apps_problem_json_with_the_request_id(clients: Any) -> None:
    fast, plain = clients
    for params in BAD:
        a, b = await fast.get(URL, params=params), await plain.get(URL, params=params)
        assert a.status_code == b.status_code == 422, (params, a.text)
        assert a.headers["content-type"].startswith("application/problem+json")
        body = a.json()
        assert body["errors"] == b.json()["errors"]
        assert body["request_id"] == a.headers["x-request-id"]


async def test_gzip_geojson_and_metrics(clients: Any) -> None:
    fast, plain = clients
    params = {"lon": CENTER_LON, "lat": CENTER_LAT, "k": 20}
    zipped = await fast.get(URL, params=params, headers={"Accept-Encoding": "gzip"})
    raw = await plain.get(URL, params=params, headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"  # httpx has already inflated it
    assert zipped.content == raw.content
    assert int(zipped.headers["content-length"]) == len(gzip.compress(raw.content, 9))
    geo = await fast.get(URL, params=params, headers={"Accept": "application/geo+json"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert geo.json()["type"] == "FeatureCollection"
    metrics = (await fast.get("/metrics")).text
    assert 'route="/api/v1/facilities/nearby"' in metrics


def test_the_fast_path_runs_every_app_wide_dependency() -> None:
    """The fast path skips the framework, so it calls the app-wide dependencies itself; a new
    one must be added there too (this test names the ones it knows)."""
    app = create_app(FacilitiesSettings(database_url="sqlite://", log_json=False))
    assert [d.dependency for d in app.router.dependencies] == [check_request_text]

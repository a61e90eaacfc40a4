"""GET /api/v1/facilities/nearby on SQLite and PostGIS against a brute-force great-circle scan.

Oracle: services.common.geo.haversine_m over every seeded facility, filtered in
Python, sorted by (distance, id). The service must agree item for item, across
pages, with filters, with a radius and in GCJ-02 / BD-09.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from services.common.opening_hours import is_open, local_moment
from services.facilities import crs
from tests.facilities.queries_support import (
    CENTER_LAT,
    CENTER_LON,
    brute_force_nearby,
    query_app,
    query_client,
    random_facilities,
    seed_facilities,
)

URL = "/api/v1/facilities/nearby"
ALL_STATUSES = "planned,active,suspended,closed"
N = 400
QUERY_POINTS = [
    (CENTER_LON, CENTER_LAT),
    (CENTER_LON + 0.05, CENTER_LAT - 0.03),
    (106.9, 29.9),
]  # last: outside the cloud


@pytest.fixture
async def bare(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Validation happens before any query: an unmigrated SQLite file is enough."""
    async with query_client(f"sqlite:///{tmp_path / 'bare.sqlite3'}") as client:
        yield client


@pytest.fixture(params=["index", "database"])
async def seeded(
    facilities_db_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[httpx.AsyncClient, list[dict[str, Any]]]]:
    """Seeded facilities behind the in-memory index, or read from the database per request."""
    rows = random_facilities(N, seed=7)
    seed_facilities(facilities_db_url, rows)
    app = query_app(facilities_db_url, nearby_index=request.param == "index")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, rows


async def _all_pages(client: httpx.AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        response = await client.get(
            URL, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


def _active(r: dict[str, Any]) -> bool:
    """What nearby shows without `status=`: places a person can use today."""
    return bool(r["status"] == "active")


def _pairs(items: list[dict[str, Any]]) -> list[tuple[float, int]]:
    return [(item["distance_m"], item["id"]) for item in items]


def _assert_same(observed: list[tuple[float, int]], known: list[tuple[float, int]]) -> None:
    assert [i for _, i in observed] == [i for _, i in known]
    for (d_obs, _), (d_known, _) in zip(observed, known, strict=True):
        assert d_obs == pytest.approx(d_known, abs=1e-6)


@pytest.mark.parametrize(("lon", "lat"), QUERY_POINTS)
async def test_k_nearest_across_pages_equals_brute_force(
    seeded: Any, lon: float, lat: float
) -> None:
    client, rows = seeded
    items = await _all_pages(client, {"lon": lon, "lat": lat, "k": 57, "limit": 10})
    _assert_same(_pairs(items), brute_force_nearby(rows, lon, lat, keep=_active)[:57])
    for item in items:
        assert item["straight_line_minutes"] == pytest.approx(item["distance_m"] / 60.0, abs=0.051)
        assert "walk_minutes" not in item
        assert item["external_id"].startswith("T-7-")


async def test_radius_with_filters_across_pages_equals_brute_force(seeded: Any) -> None:
    client, rows = seeded
    lon, lat = CENTER_LON + 0.01, CENTER_LAT
    params = {
        "lon": lon,
        "lat": lat,
        "radius_m": 9000,
        "type": "community_station,day_care,meal_point,nursing_home",
        "status": ["active", "planned"],
        "service": "meal",
        "min_stars": 1,
        "limit": 3,
    }

    def keep(r: dict[str, Any]) -> bool:
        return (
            r["type"] in ("community_station", "day_care", "meal_point", "nursing_home")
            and r["status"] in ("active", "planned")
            and "meal" in r["services"]
            and r["star_rating"] is not None
            and r["star_rating"] >= 1
        )

    known = brute_force_nearby(rows, lon, lat, keep=keep, radius_m=9000)
    assert len(known) > 6  # the test pages for real
    _assert_same(_pairs(await _all_pages(client, params)), known)


async def test_ties_at_one_point_are_served_once_each_in_id_order(seeded: Any) -> None:
    client, rows = seeded
    # a point shared by several facilities (every 7th seeded row reuses another's coordinates)
    lon = rows[6]["lon"]
    lat = rows[6]["lat"]
    known = brute_force_nearby(rows, lon, lat)[:30]
    observed = _pairs(
        await _all_pages(
            client, {"lon": lon, "lat": lat, "k": 30, "limit": 1, "status": ALL_STATUSES}
        )
    )
    _assert_same(observed, known)
    assert len({i for _, i in observed}) == 30


async def test_open_now_uses_hours_and_time_zone(seeded: Any) -> None:
    client, rows = seeded
    at = datetime(2026, 11, 25, 1, 30)  # naive: read as 01:30 UTC, i.e. Wednesday 09:30 in Beijing
    weekday, hhmm = local_moment(at.replace(tzinfo=__import__("datetime").UTC), "Asia/Shanghai")
    known = brute_force_nearby(
        rows,
        CENTER_LON,
        CENTER_LAT,
        keep=lambda r: _active(r) and is_open(r["opening_hours"], weekday, hhmm) is True,
    )[:25]
    items = await _all_pages(
        client,
        {
            "lon": CENTER_LON,
            "lat": CENTER_LAT,
            "k": 25,
            "open_now": "true",
            "at": "2026-11-25T01:30:00Z",
        },
    )
    _assert_same(_pairs(items), known)
    # the same wall-clock moment given naive in the zone's own time gives the same answer
    same = await _all_pages(
        client,
        {
            "lon": CENTER_LON,
            "lat": CENTER_LAT,
            "k": 25,
            "open_now": "true",
            "at": "2026-11-25T09:30:00",
            "tz": "Asia/Shanghai",
        },
    )
    assert [i["id"] for i in same] == [i["id"] for i in items]


@pytest.mark.parametrize("name", ["gcj02", "bd09"])
async def test_chinese_map_crs_in_and_out(seeded: Any, name: str) -> None:
    client, rows = seeded
    q_lon, q_lat = crs.point_from_wgs84(
        CENTER_LON, CENTER_LAT, name
    )  # what the phone's map SDK reports
    response = await client.get(URL, params={"lon": q_lon, "lat": q_lat, "k": 10, "crs": name})
    assert response.status_code == 200
    items = response.json()["items"]
    _assert_same(_pairs(items), brute_force_nearby(rows, CENTER_LON, CENTER_LAT, keep=_active)[:10])
    by_id = {r["id"]: r for r in rows}
    for item in items:
        expected = crs.point_from_wgs84(by_id[item["id"]]["lon"], by_id[item["id"]]["lat"], name)
        assert (item["lon"], item["lat"]) == pytest.approx(expected, abs=1e-9)


async def test_geojson_by_accept_header(seeded: Any) -> None:
    client, rows = seeded
    response = await client.get(
        URL,
        params={"lon": CENTER_LON, "lat": CENTER_LAT, "k": 3},
        headers={"Accept": "application/geo+json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    known = brute_force_nearby(rows, CENTER_LON, CENTER_LAT, keep=_active)[:3]
    assert [f["id"] for f in body["features"]] == [i for _, i in known]
    by_id = {r["id"]: r for r in rows}
    for feature in body["features"]:
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [by_id[feature["id"]]["lon"], by_id[feature["id"]]["lat"]],
        }
        assert "distance_m" in feature["properties"]


async def test_a_cursor_only_continues_its_own_query(seeded: Any) -> None:
    client, _ = seeded
    first = await client.get(
        URL, params={"lon": CENTER_LON, "lat": CENTER_LAT, "k": 10, "limit": 5}
    )
    cursor = first.json()["next_cursor"]
    same = await client.get(
        URL, params={"lon": CENTER_LON, "lat": CENTER_LAT, "k": 10, "limit": 3, "cursor": cursor}
    )
    assert same.status_code == 200  # the page size may change between pages
    for changed in (
        {"lon": CENTER_LON + 0.01},
        {"k": 11},
        {"type": "day_care"},
        {"radius_m": 5000},
    ):
        params = {"lon": CENTER_LON, "lat": CENTER_LAT, "k": 10, "cursor": cursor, **changed}
        response = await client.get(URL, params=params)
        assert response.status_code == 422, changed
        assert response.json()["errors"][0]["field"] == "cursor"


async def test_empty_and_end_of_results(seeded: Any) -> None:
    client, _ = seeded
    response = await client.get(URL, params={"lon": 0.0, "lat": 0.0, "radius_m": 1000})
    assert response.json() == {"items": [], "total": 0, "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 200, "lat": 29}, "lon"),
        ({"lon": 106, "lat": 95}, "lat"),
        ({"lat": 29}, "query.lon"),
        ({"lon": 106, "lat": 29, "k": 0}, "query.k"),
        ({"lon": 106, "lat": 29, "radius_m": -5}, "query.radius_m"),
        ({"lon": 106, "lat": 29, "type": "castle"}, "type"),
        ({"lon": 106, "lat": 29, "service": "massage"}, "services"),
        ({"lon": 106, "lat": 29, "services": "massage"}, "services"),
        ({"lon": 106, "lat": 29, "sort": "name"}, "query.sort"),
        ({"lon": 106, "lat": 29, "q": ""}, "query.q"),
        ({"lon": 106, "lat": 29, "status": "gone"}, "status"),
        ({"lon": 106, "lat": 29, "crs": "epsg3857"}, "query.crs"),
        ({"lon": 106, "lat": 29, "cursor": "garbage"}, "cursor"),
        ({"lon": 106, "lat": 29, "open_now": "true", "tz": "Mars/Olympus"}, "tz"),
        ({"lon": 106, "lat": 29, "min_stars": 6}, "query.min_stars"),
    ],
)
async def test_bad_input_is_problem_json_naming_the_field(
    bare: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await bare.get(URL, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_nearby_items_are_the_same_facility_json_as_the_list(seeded: Any) -> None:
    """The nearby hot path reads rows its own way; every field must match the list route's."""
    client, rows = seeded
    near = (await client.get(URL, params={"lon": CENTER_LON, "lat": CENTER_LAT, "k": 15})).json()[
        "items"
    ]
    for item in near:
        listed = (
            await client.get("/api/v1/facilities", params={"external_id": item["external_id"]})
        ).json()
        (same,) = listed["items"]
        assert {
            k: v
            for k, v in item.items()
            if k not in ("distance_m", "straight_line_minutes", "open_now")
        } == same
    assert any(item["verified_on"] for item in near) and any(item["opening_hours"] for item in near)


@pytest.mark.parametrize("type_", ["community_station", "nursing_home", "embedded_home"])
async def test_one_type_across_pages_equals_brute_force(seeded: Any, type_: str) -> None:
    """One type is the common app query: one R*Tree lane on SQLite, one KNN branch on PostGIS."""
    client, rows = seeded
    lon, lat = CENTER_LON - 0.02, CENTER_LAT + 0.01
    params = {"lon": lon, "lat": lat, "k": 30, "type": type_, "limit": 7, "status": ALL_STATUSES}
    items = await _all_pages(client, params)
    known = brute_force_nearby(rows, lon, lat, keep=lambda r: r["type"] == type_)[:30]
    assert len(known) >= 20
    _assert_same(_pairs(items), known)

"""The dashboard and nearby views: parallel fetches, parts marked unavailable, walking ranking
degrading to straight-line when the coverage service is down."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.conftest import Stub, close_app, make_settings, new_key
from tests.servers import free_port, running_app

CODE = "110105000000"
SNAPSHOT = {
    "registry_version": 12,
    "items": [
        {"id": 1, "type": "community_station", "status": "active", "capacity": 20},
        {"id": 2, "type": "community_station", "status": "planned", "capacity": None},
        {"id": 3, "type": "nursing_home", "status": "active", "capacity": 300},
    ],
}
INDICATORS = {"total_beds": 320, "nursing_beds": 200, "nursing_share": 0.625}
COMPLIANCE = {
    "items": [
        {
            "indicator": "nursing_share",
            "threshold": 0.55,
            "value": 0.625,
            "met": True,
            "gap_beds": 0,
        }
    ]
}
COVERAGE = {"run_id": 4, "covered_share": 0.81}
PLANS = [
    {
        "indicator": "street_center_coverage",
        "value": 0.5,
        "numerator": 3,
        "denominator": 6,
        "unit": "share",
        "targets": [],
    }
]


def can_dashboard(upstreams: dict[str, Stub]) -> None:
    upstreams["facilities"].behaviour.answer(
        "GET", f"/api/v1/regions/{CODE}", 200, {"code": CODE, "name": "朝阳区", "level": "district"}
    )
    upstreams["facilities"].behaviour.answer("GET", "/api/v1/facilities/snapshot", 200, SNAPSHOT)
    upstreams["beds"].behaviour.answer("GET", "/api/v1/beds/indicators", 200, INDICATORS)
    upstreams["beds"].behaviour.answer("GET", "/api/v1/beds/compliance", 200, COMPLIANCE)
    upstreams["beds"].behaviour.answer("GET", "/api/v1/plans/indicators", 200, PLANS)
    upstreams["coverage"].behaviour.answer(
        "GET", f"/api/v1/coverage/regions/{CODE}/latest", 200, COVERAGE
    )


async def call(
    upstreams: dict[str, Stub],
    db_url: str,
    path: str,
    role: str | None = "planner",
    **overrides: Any,
) -> httpx.Response:
    app = create_app(make_settings(db_url, upstreams, **overrides))
    try:
        headers = {"X-API-Key": new_key(app, role)} if role else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://gw"
        ) as client:
            return await client.get(path, headers=headers)
    finally:
        await close_app(app)


async def test_dashboard_all_parts_fetched_in_parallel(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    can_dashboard(upstreams)
    for stub in upstreams.values():
        stub.behaviour.delay_s = 0.6  # five calls: ≥ 3 s one after another, ~0.6 s in parallel
    started = time.perf_counter()
    response = await call(
        upstreams, gateway_sqlite_url, "/api/v1/regions/110105/dashboard?period=2026-10"
    )
    assert time.perf_counter() - started < 2.0
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"]["name"] == "朝阳区"
    assert body["facilities"] == {
        "status": "ok",
        "registry_version": 12,
        "total": 3,
        "by_type": {"community_station": 2, "nursing_home": 1},
        "by_status": {"active": 2, "planned": 1},
        "capacity": 320,
    }
    assert body["beds"] == {
        "status": "ok",
        "indicators": INDICATORS,
        "compliance": COMPLIANCE["items"],
    }
    assert body["coverage"] == {"status": "ok", "latest": COVERAGE}
    assert body["plans"] == {"status": "ok", "indicators": PLANS}
    assert body["unavailable"] == []
    beds_queries = {r["query"] for r in upstreams["beds"].behaviour.received}
    assert beds_queries == {f"region={CODE}&period=2026-10"}


async def test_dashboard_with_one_upstream_down_returns_the_rest(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    can_dashboard(upstreams)
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    response = await call(
        upstreams,
        gateway_sqlite_url,
        f"/api/v1/regions/{CODE}/dashboard",
        coverage_url=nothing_listens,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["unavailable"] == ["coverage"]
    assert body["coverage"]["status"] == "unavailable" and "coverage" in body["coverage"]["reason"]
    assert body["facilities"]["total"] == 3 and body["beds"]["status"] == "ok"

    upstreams["beds"].behaviour.fail_next, upstreams["beds"].behaviour.fail_status = 100, 500
    response = await call(
        upstreams, gateway_sqlite_url, f"/api/v1/regions/{CODE}/dashboard", retries=0
    )
    body = response.json()
    # Plan indicators are served by the beds service too (ADR 0201).
    assert body["unavailable"] == ["beds", "plans"] and body["coverage"]["status"] == "ok"


async def test_dashboard_of_an_unknown_region_and_without_a_key(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    upstreams["facilities"].behaviour.answer(
        "GET", "/api/v1/regions/110199000000", 404, {"detail": "no such region"}
    )
    response = await call(upstreams, gateway_sqlite_url, "/api/v1/regions/110199000000/dashboard")
    assert response.status_code == 404 and "110199000000" in response.json()["detail"]
    assert (
        await call(upstreams, gateway_sqlite_url, f"/api/v1/regions/{CODE}/dashboard", role=None)
    ).status_code == 401
    response = await call(upstreams, gateway_sqlite_url, "/api/v1/regions/11x/dashboard")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "path.code"


STATIONS = [
    {
        "id": 11,
        "name": "A",
        "lon": 116.401,
        "lat": 39.901,
        "distance_m": 120.0,
        "open_now": True,
        "opening_hours": {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    },
    {
        "id": 12,
        "name": "B",
        "lon": 116.402,
        "lat": 39.902,
        "distance_m": 300.0,
        "straight_line_minutes": 5.0,
        "open_now": None,
        "opening_hours": None,
    },
    {
        "id": 13,
        "name": "C",
        "lon": 116.403,
        "lat": 39.903,
        "distance_m": 450.0,
        "open_now": None,
        "opening_hours": {},
    },
    {"id": 14, "name": "D", "lon": 116.404, "lat": 39.904, "distance_m": 500.0},
]
WALK = {
    "items": [
        {
            "id": 11,
            "walk_minutes": 14.0,
            "network_distance_m": 1120.0,
        },  # close as the crow flies, across a railway
        {"id": 12, "walk_minutes": 4.0, "network_distance_m": 320.0},
        {"id": 13, "walk_minutes": 6.5, "network_distance_m": 520.0},
        {"id": 14, "walk_minutes": None, "network_distance_m": None},
    ]
}


def can_nearby(upstreams: dict[str, Stub]) -> None:
    upstreams["facilities"].behaviour.answer(
        "GET", "/api/v1/facilities/nearby", 200, {"items": STATIONS, "next_cursor": None}
    )
    upstreams["coverage"].behaviour.answer("POST", "/api/v1/coverage/walk-times", 200, WALK)
    upstreams["beds"].behaviour.answer(
        "GET", "/api/v1/beds/facilities/12/current", 200, {"free_beds": 3, "period": "2026-10"}
    )
    upstreams["beds"].behaviour.answer(
        "GET", "/api/v1/beds/facilities/13/current", 404, {"detail": "no report"}
    )


async def test_nearby_ranks_by_walking_minutes_with_free_beds(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    can_nearby(upstreams)
    response = await call(
        upstreams,
        gateway_sqlite_url,
        "/api/v1/nearby?lon=116.4&lat=39.9&k=3&type=community_station",
        role=None,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ranking"] == "walking" and body["degraded"] == []
    assert "x-degraded" not in response.headers
    assert [s["id"] for s in body["items"]] == [12, 13, 11]
    first = body["items"][0]
    assert (first["walk_minutes"], first["free_beds"], first["beds_period"], first["open_now"]) == (
        4.0,
        3,
        "2026-10",
        None,
    )
    assert body["items"][1]["free_beds"] is None and body["items"][1]["beds_status"] == "none"
    assert body["items"][2]["open_now"] is True  # the facilities service's answer, passed on
    # two minutes, named for what they are: street network (coverage) and straight line (facilities)
    assert (first["walk_minutes"], first["straight_line_minutes"]) == (4.0, 5.0)
    sent = upstreams["coverage"].behaviour.received[0]
    assert orjson.loads(sent["body"]) == {
        "lon": 116.4,
        "lat": 39.9,
        "stations": [{"id": str(s["id"]), "lon": s["lon"], "lat": s["lat"]} for s in STATIONS],
        "speed_mps": 1.0,
    }
    facilities_query = upstreams["facilities"].behaviour.received[0]["query"]
    assert "type=community_station" in facilities_query and "status=active" in facilities_query
    assert body["next_cursor"] is not None  # a fourth station is left (unreachable on foot)


async def test_nearby_degrades_to_straight_line_when_coverage_is_down(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    can_nearby(upstreams)
    upstreams["coverage"].behaviour.fail_next = 100
    response = await call(
        upstreams, gateway_sqlite_url, "/api/v1/nearby?lon=116.4&lat=39.9&k=3", role=None
    )
    body = response.json()
    assert response.status_code == 200
    assert body["ranking"] == "straight_line" and body["degraded"] == ["walk_minutes"]
    assert response.headers["x-degraded"] == "walk_minutes"
    assert body["degraded_reasons"]["walk_minutes"].startswith("coverage:")
    assert [s["id"] for s in body["items"]] == [11, 12, 13]
    assert all(s["walk_minutes"] is None for s in body["items"])
    assert body["items"][1]["free_beds"] == 3


async def test_nearby_says_which_fields_a_slow_service_left_out(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    """Past the per-part budget the answer is still a 200, but flagged in body and header."""
    can_nearby(upstreams)
    upstreams["beds"].behaviour.delay_s = 0.5
    response = await call(
        upstreams,
        gateway_sqlite_url,
        "/api/v1/nearby?lon=116.4&lat=39.9&k=2",
        role=None,
        aggregate_timeout_s=0.2,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["ranking"] == "walking" and body["degraded"] == ["free_beds"]
    assert response.headers["x-degraded"] == "free_beds"
    assert body["degraded_reasons"] == {"free_beds": "beds: timed out"}
    assert all(s["free_beds"] is None and s["beds_status"] == "unavailable" for s in body["items"])
    # Free beds are asked for the stations kept, not for every candidate.
    assert sorted(upstreams["beds"].behaviour.paths()) == [
        "/api/v1/beds/facilities/12/current",
        "/api/v1/beds/facilities/13/current",
    ]


def test_a_caller_who_hangs_up_stops_the_views_upstream_calls(
    settings: GatewaySettings, upstreams: dict[str, Stub]
) -> None:
    """The walk-time call is in flight when the client disconnects: it is dropped, and the bed
    lookups that would follow it are never made."""
    can_nearby(upstreams)
    upstreams["coverage"].behaviour.delay_s = 1.0
    with running_app(create_app(settings)) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(base + "/api/v1/nearby?lon=116.4&lat=39.9&k=3", timeout=0.3)
        time.sleep(1.5)
        metrics = httpx.get(base + "/metrics").text
    assert len(upstreams["coverage"].behaviour.received) == 1
    assert upstreams["beds"].behaviour.received == []
    assert any("/api/v1/nearby" in line and "499" in line for line in metrics.splitlines())


async def test_nearby_needs_the_registry_and_valid_coordinates(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    response = await call(
        upstreams,
        gateway_sqlite_url,
        "/api/v1/nearby?lon=116.4&lat=39.9",
        role=None,
        facilities_url=nothing_listens,
    )
    assert response.status_code == 503 and response.json()["upstream"] == "facilities"
    response = await call(
        upstreams, gateway_sqlite_url, "/api/v1/nearby?lon=200&lat=39.9", role=None
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "query.lon"

"""Roles end to end through the gateway against the real facilities and beds services (both
engines): the gateway refuses what it can see, the services refuse what only they know."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import orjson
import pytest

from gateway.app import create_app
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.gateway.conftest import SECRET, close_app, make_settings, new_key
from tests.servers import free_port, running_app


@pytest.fixture
def services(facilities_db_url: str, beds_db_url: str) -> Iterator[dict[str, str]]:
    """Real facilities and beds services that insist on a gateway-signed identity."""
    common = {"identity_secret": SECRET, "require_identity": True, "log_level": "WARNING"}
    with ExitStack() as stack:
        facilities = stack.enter_context(
            running_app(
                create_facilities_app(FacilitiesSettings(database_url=facilities_db_url, **common))
            )
        )
        beds = stack.enter_context(
            running_app(
                create_beds_app(
                    BedsSettings(database_url=beds_db_url, facilities_url=facilities, **common)
                )
            )
        )
        yield {
            "facilities_url": facilities,
            "beds_url": beds,
            "coverage_url": f"http://127.0.0.1:{free_port()}",
        }


def station(name: str, region: str, lon: float) -> dict[str, object]:
    return {
        "name": name,
        "type": "community_station",
        "lon": lon,
        "lat": 39.89,
        "region_code": region,
    }


def report(facility_id: int) -> dict[str, object]:
    return {
        "facility_id": facility_id,
        "period": "2026-10",
        "total_beds": 30,
        "nursing_beds": 20,
        "occupied_beds": 22,
    }


async def test_a_bad_parameter_of_nearby_is_a_422_naming_it_end_to_end(
    services: dict[str, str], gateway_sqlite_url: str
) -> None:
    """The facilities service refuses the type; the gateway says so (it answered 503 before)."""
    app = create_app(make_settings(gateway_sqlite_url, None, **services))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            response = await gw.get("/api/v1/nearby?lon=116.4&lat=39.9&type=bogus")
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert [e["field"].rsplit(".", 1)[-1] for e in problem["errors"]] == ["type"], problem
            assert "bogus" in problem["detail"] or "type" in problem["detail"]
    finally:
        await close_app(app)


async def test_roles_end_to_end(services: dict[str, str], gateway_sqlite_url: str) -> None:
    app = create_app(make_settings(gateway_sqlite_url, None, **services))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            key = {
                "admin": new_key(app, "admin"),
                "chaoyang": new_key(app, "official", region_code="110105000000"),
                "fengtai": new_key(app, "official", region_code="110106000000"),
                "planner": new_key(app, "planner"),
            }

            async def as_(who: str, method: str, path: str, **kwargs: object) -> httpx.Response:
                return await gw.request(method, path, headers={"X-API-Key": key[who]}, **kwargs)  # type: ignore[arg-type]

            a = await as_(
                "chaoyang",
                "POST",
                "/api/v1/facilities",
                json=station("双井站", "110105001000", 116.461),
            )
            b = await as_(
                "admin",
                "POST",
                "/api/v1/facilities",
                json=station("丰台站", "110106001000", 116.29),
            )
            assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
            a_id, b_id = a.json()["id"], b.json()["id"]
            key["operator"] = new_key(app, "operator", facility_ids=(a_id,))

            # Operators report their own facility; the gateway refuses another's.
            assert (
                await as_("operator", "POST", "/api/v1/beds/reports", json=report(a_id))
            ).status_code == 201
            refused = await as_("operator", "POST", "/api/v1/beds/reports", json=report(b_id))
            assert refused.status_code == 403 and "not one of operator" in refused.json()["detail"]
            # A Chaoyang official reporting for a Fengtai facility: only the beds service knows
            # where that facility is, and refuses.
            refused = await as_("chaoyang", "POST", "/api/v1/beds/reports", json=report(b_id))
            assert refused.status_code == 403, refused.text
            assert "instance" in refused.json()
            assert (
                await as_("fengtai", "POST", "/api/v1/beds/reports", json=report(b_id))
            ).status_code == 201
            # Planners do not report beds (gateway), Chaoyang may not patch Fengtai's facility (service).
            assert (
                await as_("planner", "POST", "/api/v1/beds/reports", json=report(a_id))
            ).status_code == 403
            etag = (await gw.get(f"/api/v1/facilities/{b_id}")).headers["etag"]
            refused = await gw.patch(
                f"/api/v1/facilities/{b_id}",
                json={"capacity": 9},
                headers={"X-API-Key": key["chaoyang"], "If-Match": etag},
            )
            assert refused.status_code == 403 and "110105" in refused.json()["detail"]
            patched = await gw.patch(
                f"/api/v1/facilities/{b_id}",
                json={"capacity": 9},
                headers={"X-API-Key": key["fengtai"], "If-Match": etag},
            )
            assert patched.status_code == 200 and patched.json()["capacity"] == 9

            # The aggregated views over the real services, coverage being down.
            nearby = (await gw.get("/api/v1/nearby?lon=116.46&lat=39.89&k=2&radius_m=20000")).json()
            assert nearby["ranking"] == "straight_line" and nearby["degraded"] == ["walk_minutes"]
            assert [(s["id"], s["free_beds"]) for s in nearby["items"]] == [(a_id, 8), (b_id, 8)]
            board = (await as_("planner", "GET", "/api/v1/regions/110105/dashboard")).json()
            assert board["unavailable"] == ["coverage"]
            assert board["facilities"]["total"] == 1 and board["facilities"]["by_type"] == {
                "community_station": 1
            }
            assert board["beds"]["indicators"]["total_beds"] == 30
    finally:
        await close_app(app)


# A street east from the person (P) to station B, and a short street of its own under station A,
# which is nearer as the crow flies but cannot be walked to from P (hand-drawn, WGS84).
P = (116.400, 39.900)
STREETS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"highway": "footway"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[116.400, 39.900], [116.405, 39.900], [116.410, 39.900]],
            },
        },
        {
            "type": "Feature",
            "properties": {"highway": "footway"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[116.3995, 39.903], [116.4005, 39.903]],
            },
        },
    ],
}


@pytest.fixture
def three_services(services: dict[str, str], coverage_db_url: str) -> Iterator[dict[str, str]]:
    from services.coverage.app import create_app as create_coverage_app
    from services.coverage.settings import CoverageSettings

    settings = CoverageSettings(
        database_url=coverage_db_url,
        facilities_url=services["facilities_url"],
        identity_secret=SECRET,
        log_level="WARNING",
    )
    with running_app(create_coverage_app(settings)) as coverage:
        yield {**services, "coverage_url": coverage}


async def test_nearby_ranks_by_walking_over_the_real_coverage_service(
    three_services: dict[str, str], gateway_sqlite_url: str
) -> None:
    app = create_app(make_settings(gateway_sqlite_url, None, **three_services))
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            official = {"X-API-Key": new_key(app, "official", region_code="110105000000")}
            planner = {"X-API-Key": new_key(app, "planner")}
            near = await gw.post(
                "/api/v1/facilities",
                json={**station("A 隔河站", "110105001000", 116.400), "lat": 39.903},
                headers=official,
            )
            far = await gw.post(
                "/api/v1/facilities",
                json={**station("B 街尾站", "110105001000", 116.410), "lat": 39.9003},
                headers=official,
            )
            assert (near.status_code, far.status_code) == (201, 201)
            # Only planners load networks; the upload streams through the gateway as multipart.
            files = {"file": ("streets.geojson", orjson.dumps(STREETS), "application/geo+json")}
            assert (
                await gw.post("/api/v1/coverage/networks/upload", files=files, headers=official)
            ).status_code == 403
            loaded = await gw.post("/api/v1/coverage/networks/upload", files=files, headers=planner)
            assert loaded.status_code == 201, loaded.text

            body = (await gw.get(f"/api/v1/nearby?lon={P[0]}&lat={P[1]}&k=2&radius_m=3000")).json()
            assert body["ranking"] == "walking", body
            assert [s["id"] for s in body["items"]] == [far.json()["id"], near.json()["id"]]
            walked, unreachable = body["items"]
            assert (
                unreachable["walk_minutes"] is None
                and unreachable["distance_m"] < walked["distance_m"]
            )
            # ≈ 853 m of street at the default 1 m/s (haversine of the street, hand-checked: 0.01° lon at 39.9° N).
            assert 12.0 < walked["walk_minutes"] < 16.0
    finally:
        await close_app(app)

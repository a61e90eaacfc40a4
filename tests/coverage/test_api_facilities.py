"""Stations from the real facilities service over HTTP: snapshot, registry version, cache."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from services.facilities.app import create_app as create_facilities
from services.facilities.settings import FacilitiesSettings
from tests.coverage.conftest import DATA
from tests.servers import running_app


def facility(
    name: str, lon: float, lat: float, type_: str = "community_station"
) -> dict[str, object]:
    return {"name": name, "type": type_, "status": "active", "lon": lon, "lat": lat, "capacity": 20}


async def test_snapshot_stations_and_registry_version_cache(
    coverage_db_url: str, facilities_db_url: str, tiny: dict[str, Path]
) -> None:
    with running_app(create_facilities(FacilitiesSettings(database_url=facilities_db_url))) as fac:
        with httpx.Client(base_url=fac) as f:
            r = f.post("/api/v1/facilities", json=facility("west", 116.4, 39.9001))
            assert r.status_code == 201, r.text
            f.post("/api/v1/facilities", json=facility("centre", 116.402, 39.9, "care_center"))
            f.post(
                "/api/v1/facilities",
                json=facility("closed-one", 116.404, 39.9) | {"status": "closed"},
            )
        app = create_app(
            CoverageSettings(database_url=coverage_db_url, facilities_url=fac, import_dir=str(DATA))
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            net = (
                await c.post("/api/v1/coverage/networks", json={"path": str(tiny["network"])})
            ).json()
            with tiny["demand"].open("rb") as fh:
                dm = (
                    await c.post("/api/v1/coverage/demand/upload", files={"file": ("d.csv", fh)})
                ).json()
            body = {
                "network_id": net["id"],
                "demand_set_id": dm["id"],
                "minutes": 6,
                "station_query": {
                    "type": ["community_station", "care_center"],
                    "status": ["active"],
                },
            }
            r = await c.post("/api/v1/coverage/runs", json=body)
            assert r.status_code == 202, r.text
            run = r.json()
            assert run["registry_version"] is not None
            for _ in range(200):
                run = (await c.get(r.headers["Location"])).json()
                if run["status"] == "done":
                    break
                await asyncio.sleep(0.025)
            summary = (await c.get(r.headers["Location"] + "/summary")).json()
            assert summary["stations"] == 2  # the closed one is not in the snapshot
            again = await c.post("/api/v1/coverage/runs", json=body)
            assert again.json()["cached"] and again.json()["id"] == run["id"]
            # a type the registry does not know: the caller's mistake, named (it was a 502)
            bogus = {**body, "station_query": {"type": ["bogus"], "status": ["active"]}}
            bad = await c.post("/api/v1/coverage/runs", json=bogus)
            assert bad.status_code == 422, bad.text
            assert bad.json()["errors"][0]["field"] == "station_query.type"
            assert "bogus" in bad.json()["detail"]
            with httpx.Client(base_url=fac) as f:
                f.post("/api/v1/facilities", json=facility("south", 116.402, 39.898))
            fresh = await c.post("/api/v1/coverage/runs", json=body)
            assert fresh.status_code == 202 and fresh.json()["id"] != run["id"]
            assert fresh.json()["registry_version"] > run["registry_version"]


async def test_demand_derived_from_registry_is_flagged(
    coverage_db_url: str, facilities_db_url: str, tiny: dict[str, Path]
) -> None:
    regions = (tiny["network"].parent / "tiny_regions.geojson").read_bytes()
    with running_app(create_facilities(FacilitiesSettings(database_url=facilities_db_url))) as fac:
        with httpx.Client(base_url=fac) as f:
            r = f.post(
                "/api/v1/regions/import",
                content=regions,
                headers={"Content-Type": "application/geo+json"},
            )
            assert r.status_code == 200, r.text
        app = create_app(
            CoverageSettings(database_url=coverage_db_url, facilities_url=fac, import_dir=str(DATA))
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            r = await c.post(
                "/api/v1/coverage/demand/from-registry",
                json={"region": "110101001000", "spacing_m": 100},
            )
            assert r.status_code == 201, r.text
            dm = r.json()
            assert dm["derived"] and dm["total_elderly"] == pytest.approx(
                300
            )  # 200 + 100, conserved
            bad = await c.post(
                "/api/v1/coverage/demand/from-registry", json={"region": "990000000000"}
            )
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region"
            net = (
                await c.post("/api/v1/coverage/networks", json={"path": str(tiny["network"])})
            ).json()
            r = await c.post(
                "/api/v1/coverage/runs",
                json={
                    "network_id": net["id"],
                    "demand_set_id": dm["id"],
                    "minutes": 15,
                    "stations": [{"id": "w", "lon": 116.4, "lat": 39.9001}],
                },
            )
            for _ in range(200):
                if (await c.get(r.headers["Location"])).json()["status"] == "done":
                    break
                await asyncio.sleep(0.025)
            summary = (await c.get(r.headers["Location"] + "/summary")).json()
            assert summary["demand_derived_from_registry"] is True
            assert summary["communities"] == 2
            latest = await c.get("/api/v1/coverage/regions/110101001002/latest")
            assert latest.status_code == 200 and latest.json()["demand_derived_from_registry"]

"""Coverage results through the gateway against a real coverage service (both engines):
GeoJSON and GeoPackage pass through with their media types, and a large isochrone request
is a job — 202 + Location, polled through the gateway — not a request the gateway's
upstream timeout cuts (issue 17: it answered 504 after 10 s while the service computed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from services.coverage.app import create_app as create_coverage_app
from services.coverage.settings import CoverageSettings
from tests.coverage.conftest import DATA
from tests.gateway.conftest import SECRET, close_app, make_settings, new_key
from tests.servers import free_port, running_app


@pytest.fixture
def coverage(coverage_db_url: str) -> Iterator[str]:
    settings = CoverageSettings(
        database_url=coverage_db_url,
        facilities_url=f"http://127.0.0.1:{free_port()}",
        import_dir=str(DATA),
        identity_secret=SECRET,
        require_identity=True,
        log_level="WARNING",
        sync_isochrone_stations=1,
    )
    with running_app(create_coverage_app(settings)) as url:
        yield url


async def test_results_and_jobs_through_the_gateway(coverage: str, gateway_sqlite_url: str) -> None:
    urls = {
        "coverage_url": coverage,
        "facilities_url": f"http://127.0.0.1:{free_port()}",
        "beds_url": f"http://127.0.0.1:{free_port()}",
    }
    # the first network import loads GDAL: slow on a shared machine, not what is tested here
    app = create_app(
        make_settings(gateway_sqlite_url, None, upstream_timeouts_s={"coverage": 30.0}, **urls)
    )
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as gw:
            gw.headers["X-API-Key"] = new_key(app, "planner")
            base = "/api/v1/coverage"
            net = await gw.post(f"{base}/networks", json={"path": "tiny_streets.geojson"})
            assert net.status_code == 201, net.text
            demand = await gw.post(
                f"{base}/demand/upload",
                files={"file": ("d.csv", (DATA / "tiny_demand.csv").read_bytes(), "text/csv")},
            )
            assert demand.status_code == 201, demand.text
            stations = [
                {"id": f["properties"]["id"], "lon": c[0], "lat": c[1]}
                for f in json.loads(Path(DATA / "tiny_stations.geojson").read_text())["features"]
                for c in [f["geometry"]["coordinates"]]
            ]
            run = await gw.post(
                f"{base}/runs",
                json={
                    "network_id": net.json()["id"],
                    "demand_set_id": demand.json()["id"],
                    "minutes": 6,
                    "stations": stations,
                },
            )
            assert run.status_code == 202, run.text
            loc = run.headers["Location"]
            for _ in range(300):
                if (await gw.get(loc)).json()["status"] == "done":
                    break
                await asyncio.sleep(0.05)

            small = await gw.post(loc + "/isochrones", json={"station_ids": ["west"]})
            assert small.status_code == 200, small.text
            assert small.headers["content-type"].startswith("application/geo+json")
            assert len(small.json()["features"]) == 3  # 5, 10, 15 min

            large = await gw.post(loc + "/isochrones", json={"minutes": [5, 10]})
            assert large.status_code == 202, large.text
            task_url = large.headers["Location"]
            assert task_url.startswith(f"{base}/tasks/")
            for _ in range(300):
                task = (await gw.get(task_url)).json()
                assert 0 <= task["progress"] <= 100
                if task["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.05)
            assert task["status"] == "done", task
            fc = await gw.get(task["result"])
            assert fc.headers["content-type"].startswith("application/geo+json")
            assert len(fc.json()["features"]) == 2 * len(stations)
            gpkg = await gw.get(task["result"], params={"format": "gpkg"})
            assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
            assert gpkg.content.startswith(b"SQLite format 3\x00")
            points = await gw.get(loc + "/points", params={"format": "csv"})
            assert points.content.startswith(b"\xef\xbb\xbf")
    finally:
        await close_app(app)

"""Long queries on a run as jobs (services/coverage/tasks.py), on both engines.

Past the thresholds (set low here) isochrones and siting answer 202 with a task to poll;
the task's progress only grows, its result is the synchronous answer, the same request
gives the same task, and a task a stopped process left queued runs at the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from tests.coverage.conftest import DATA
from tests.coverage.test_api import finished, setup, stations_json

GEO = "application/geo+json"


def settings(url: str) -> CoverageSettings:
    return CoverageSettings(
        database_url=url,
        facilities_url="http://127.0.0.1:9",
        import_dir=str(DATA),
        sync_isochrone_stations=1,
        sync_siting_pairs=4,  # the tiny demand has 4 points: one candidate stays synchronous
    )


@pytest.fixture
async def client(coverage_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(coverage_db_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def done_run(c: httpx.AsyncClient, tiny: dict[str, Path]) -> str:
    net_id, demand_id = await setup(c, tiny)
    body = {"network_id": net_id, "demand_set_id": demand_id, "minutes": 6}
    loc = await c.post("/api/v1/coverage/runs", json={**body, "stations": stations_json(tiny)})
    location = loc.headers["Location"]
    assert (await finished(c, location))["status"] == "done"
    return location


async def polled(c: httpx.AsyncClient, location: str) -> list[dict[str, Any]]:
    seen = []
    for _ in range(600):
        body = (await c.get(location)).json()
        seen.append(body)
        if body["status"] in ("done", "failed"):
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError("task did not finish")


async def test_large_isochrones_are_a_task_with_the_same_answer(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    loc = await done_run(client, tiny)
    one = {"station_ids": ["west"], "minutes": [2, 5]}
    sync = await client.post(loc + "/isochrones", json=one)
    assert sync.status_code == 200 and sync.headers["content-type"].startswith(GEO)

    both = {"station_ids": ["west", "north"], "minutes": [2, 5]}
    r = await client.post(loc + "/isochrones", json=both)
    assert r.status_code == 202, r.text
    task = r.json()
    assert r.headers["Location"] == f"/api/v1/coverage/tasks/{task['id']}"
    assert task["kind"] == "isochrones" and task["status"] in ("queued", "running", "done")
    seen = await polled(client, r.headers["Location"])
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and seen[-1] == {
        **seen[-1],
        "status": "done",
        "progress": 100,
    }
    result = await client.get(seen[-1]["result"])
    assert result.headers["content-type"].startswith(GEO)
    fc = result.json()
    assert sorted(
        (f["properties"]["station_id"], f["properties"]["minutes"]) for f in fc["features"]
    ) == [("north", 2.0), ("north", 5.0), ("west", 2.0), ("west", 5.0)]
    west = [f for f in fc["features"] if f["properties"]["station_id"] == "west"]
    assert west == sync.json()["features"]
    gpkg = await client.get(seen[-1]["result"], params={"format": "gpkg"})
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"

    again = await client.post(loc + "/isochrones", json=both)
    assert again.status_code == 200 and again.json()["id"] == task["id"] and again.json()["cached"]
    # a small request may ask for a task too; its result is the synchronous answer
    forced = await client.post(loc + "/isochrones", json=one, headers={"Prefer": "respond-async"})
    assert forced.status_code == 202
    done = (await polled(client, forced.headers["Location"]))[-1]
    assert (await client.get(done["result"])).json() == sync.json()


async def test_large_siting_is_a_task(client: httpx.AsyncClient, tiny: dict[str, Path]) -> None:
    loc = await done_run(client, tiny)
    south = {"id": "south", "lon": 116.402, "lat": 39.898}
    small = await client.post(
        loc + "/siting", json={"k": 1, "method": "exact", "candidates": [south]}
    )
    assert small.status_code == 200 and small.json()["chosen"][0]["id"] == "south"
    cands = [south, {"id": "nowhere", "lon": 116.5, "lat": 39.9}]
    r = await client.post(loc + "/siting", json={"k": 1, "method": "exact", "candidates": cands})
    assert r.status_code == 202 and r.json()["kind"] == "siting"
    done = (await polled(client, r.headers["Location"]))[-1]
    assert done["status"] == "done"
    result = (await client.get(done["result"])).json()
    assert result["chosen"][0]["id"] == "south" and result["newly_covered_elderly"] == 30
    as_geo = await client.get(done["result"], headers={"Accept": GEO})
    assert as_geo.json()["features"][0]["properties"]["id"] == "south"
    # checks that fail at once still fail at once, not in the task
    bad = await client.post(loc + "/siting", json={"k": 1, "budget": 3, "candidates": cands})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "budget"
    # a task whose computation fails says why
    far = [{"id": "far1", "lon": 117.5, "lat": 39.9}, {"id": "far2", "lon": 117.6, "lat": 39.9}]
    f = await client.post(loc + "/siting", json={"k": 1, "candidates": far})
    failed = (await polled(client, f.headers["Location"]))[-1]
    assert failed["status"] == "failed" and "on the network" in failed["error"]["detail"]
    assert (await client.get(failed["result"])).status_code == 409
    assert (await client.get("/api/v1/coverage/tasks/999999")).status_code == 404


async def test_a_task_left_queued_runs_at_the_next_start(
    coverage_db_url: str, tiny: dict[str, Path]
) -> None:
    app = create_app(settings(coverage_db_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            loc = await done_run(c, tiny)
            r = await c.post(loc + "/isochrones", json={"minutes": [3]})
            task_url = r.headers["Location"]
            assert (await polled(c, task_url))[-1]["status"] == "done"
    engine = sa.create_engine(coverage_db_url)
    with engine.begin() as db:  # as a process stopped mid-task leaves it
        db.execute(
            sa.text("update coverage_tasks set status = 'queued', progress = 0, result = null")
        )
    engine.dispose()
    app = create_app(settings(coverage_db_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            last = (await polled(c, task_url))[-1]
            assert last["status"] == "done"
            fc = (await c.get(last["result"])).json()
            assert len(fc["features"]) == 2  # both stations, one minute value


async def test_a_request_past_its_time_budget_becomes_a_task(
    coverage_db_url: str, tiny: dict[str, Path]
) -> None:
    """Under the station threshold but slower than COVERAGE_SYNC_BUDGET_S (a loaded machine):
    202 and a task, never a request the gateway's timeout cuts."""
    slow = settings(coverage_db_url).model_copy(
        update={"sync_isochrone_stations": 100, "sync_budget_s": 1e-6}
    )
    app = create_app(slow)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            loc = await done_run(c, tiny)
            r = await c.post(loc + "/isochrones", json={"minutes": [4]})
            assert r.status_code == 202, r.text
            last = (await polled(c, r.headers["Location"]))[-1]
            assert last["status"] == "done"
            fc = (await c.get(last["result"])).json()
            assert sorted(f["properties"]["station_id"] for f in fc["features"]) == [
                "north",
                "west",
            ]

"""Many regions in one request (``POST /api/v1/coverage/region-runs``), on both engines.

Each region is an ordinary run (the same run ``POST /runs`` gives for its inputs), progress
counts regions finished, and the totals are the sums of the regions' own summaries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from tests.coverage.conftest import DATA
from tests.coverage.test_api import setup, stations_json

URL = "/api/v1/coverage/region-runs"


@pytest.fixture
async def client(coverage_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = CoverageSettings(
        database_url=coverage_db_url, facilities_url="http://127.0.0.1:9", import_dir=str(DATA)
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def polled(c: httpx.AsyncClient, location: str) -> list[dict[str, Any]]:
    seen = []
    for _ in range(800):
        body = (await c.get(location)).json()
        seen.append(body)
        if body["status"] in ("done", "failed"):
            return seen
        await asyncio.sleep(0.025)
    raise AssertionError("region-run did not finish")


async def two_regions(c: httpx.AsyncClient, tiny: dict[str, Path]) -> list[dict[str, Any]]:
    """Region 1: the tiny demand, both stations; region 2: two of its homes, one station."""
    net_id, demand_id = await setup(c, tiny)
    pts = [{"id": "a", "lon": 116.401, "lat": 39.9, "elderly": 10},
           {"id": "far", "lon": 116.402, "lat": 39.88, "elderly": 5}]  # fmt: skip
    r = await c.post("/api/v1/coverage/demand", json={"name": "two", "points": pts})
    assert r.status_code in (200, 201), r.text
    stations = stations_json(tiny)
    return [
        {"region_code": "110101", "network_id": net_id, "demand_set_id": demand_id,
         "stations": stations},
        {"region_code": "110102", "network_id": net_id, "demand_set_id": r.json()["id"],
         "stations": stations[:1]},
    ]  # fmt: skip


async def test_regions_run_as_ordinary_runs_and_add_up(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    regions = await two_regions(client, tiny)
    body = {"minutes": 6, "regions": regions}
    r = await client.post(URL, json=body)
    assert r.status_code in (200, 202), r.text
    location = r.headers["Location"]
    seen = await polled(client, location)
    last = seen[-1]
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert all(s["regions_done"] <= 2 for s in seen)
    assert (last["status"], last["regions_total"], last["regions_done"]) == ("done", 2, 2)
    assert [i["region_code"] for i in last["regions"]] == ["110101", "110102"]
    sums = {"demand_points": 0, "covered_points": 0, "elderly": 0.0, "covered_elderly": 0.0}
    for item, region in zip(last["regions"], regions, strict=True):
        # the oracle: the same inputs through POST /runs are this very run, already done
        alone = await client.post("/api/v1/coverage/runs", json={
            "network_id": region["network_id"], "demand_set_id": region["demand_set_id"],
            "minutes": 6, "stations": region["stations"]})  # fmt: skip
        assert alone.status_code == 200 and alone.json()["id"] == item["run_id"], alone.text
        summary = (await client.get(f"/api/v1/coverage/runs/{item['run_id']}/summary")).json()
        for key in sums:
            assert item["summary"][key] == summary[key], key
            sums[key] += summary[key]
    assert last["regions"][1]["summary"]["demand_points"] == 2
    totals = last["totals"]
    for key, value in sums.items():
        assert totals[key] == pytest.approx(value), key
    assert totals["covered_share_by_elderly"] == pytest.approx(
        sums["covered_elderly"] / sums["elderly"]
    )
    again = await client.post(URL, json=body)  # the same request: the same region-run
    assert again.status_code == 200 and again.headers["Location"] == location


async def test_a_bad_region_is_named_and_nothing_is_listed(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    regions = await two_regions(client, tiny)
    regions[1]["demand_set_id"] = 99999
    r = await client.post(URL, json={"regions": regions})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "regions[1].demand_set_id", problem
    assert "110102" in problem["detail"]
    twice = [regions[0], {**regions[0], "demand_set_id": 1}]
    r = await client.post(URL, json={"regions": twice})
    assert r.status_code == 422 and "listed twice" in r.text
    r = await client.post(URL, json={"regions": []})
    assert r.status_code == 422
    assert (await client.get(URL + "/1")).status_code == 404

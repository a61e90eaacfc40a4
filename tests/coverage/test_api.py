"""The coverage API on both engines: imports, jobs, cache, results, errors, CLI parity."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from tests.coverage.conftest import DATA


@pytest.fixture
async def client(coverage_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        CoverageSettings(
            database_url=coverage_db_url, facilities_url="http://127.0.0.1:9", import_dir=str(DATA)
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def stations_json(tiny: dict[str, Path]) -> list[dict[str, Any]]:
    doc = json.loads(tiny["stations"].read_text())
    return [
        {
            "id": f["properties"]["id"],
            "type": f["properties"]["type"],
            "lon": f["geometry"]["coordinates"][0],
            "lat": f["geometry"]["coordinates"][1],
        }
        for f in doc["features"]
    ]


async def setup(c: httpx.AsyncClient, tiny: dict[str, Path]) -> tuple[int, int]:
    r = await c.post("/api/v1/coverage/networks", json={"path": str(tiny["network"])})
    assert r.status_code == 201, r.text
    net = r.json()
    assert net["n_nodes"] == 9
    with tiny["demand"].open("rb") as fh:
        r = await c.post(
            "/api/v1/coverage/demand/upload", files={"file": ("d.csv", fh, "text/csv")}
        )
    assert r.status_code == 201, r.text
    return net["id"], r.json()["id"]


async def finished(c: httpx.AsyncClient, location: str) -> dict[str, Any]:
    for _ in range(400):
        r = await c.get(location)
        body = r.json()
        assert 0 <= body["progress"] <= 100
        if body["status"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError("run did not finish")


async def test_run_matches_cli_and_is_cached(
    client: httpx.AsyncClient, tiny: dict[str, Path], tmp_path: Path
) -> None:
    net_id, demand_id = await setup(client, tiny)
    body = {
        "network_id": net_id,
        "demand_set_id": demand_id,
        "minutes": 6,
        "speed_mps": 1.0,
        "stations": stations_json(tiny),
    }
    r = await client.post("/api/v1/coverage/runs", json=body)
    assert r.status_code == 202, r.text
    loc = r.headers["Location"]
    assert (await finished(client, loc))["status"] == "done"
    summary = (await client.get(loc + "/summary")).json()

    out = tmp_path / "r.csv"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "coverage",
            "--network",
            str(tiny["network"]),
            "--stations",
            str(tiny["stations"]),
            "--demand",
            str(tiny["demand"]),
            "--minutes",
            "6",
            "--speed",
            "1.0",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    cli = json.loads(p.stdout.strip().splitlines()[-1])
    for k in (
        "covered_share_by_count",
        "covered_share_by_elderly",
        "covered_elderly",
        "network_version",
    ):
        assert summary[k] == cli[k]
    pts = (await client.get(loc + "/points", params={"limit": 3})).json()
    nxt = (
        await client.get(loc + "/points", params={"limit": 3, "cursor": pts["next_cursor"]})
    ).json()
    api_rows = {p["id"]: p for p in pts["items"] + nxt["items"]}
    assert nxt["next_cursor"] is None and len(api_rows) == 4
    with out.open() as fh:
        for row in csv.DictReader(fh):
            got = api_rows[row["id"]]
            assert (got["minutes"] is None) == (row["minutes"] == "")
            if got["minutes"] is not None:
                assert round(got["minutes"], 3) == float(row["minutes"])  # CLI CSV: 3 decimals
            assert (got["nearest_station"] or "") == row["nearest_station"]
    assert {t["type"] for t in summary["by_facility_type"]} == {"community_station", "care_center"}
    for key in ("by_region_code", "by_street_code", "share_communities_with_station_within_circle"):
        assert summary[key] == cli[key]
    assert (await client.get("/openapi.json")).status_code == 200
    # identical inputs: the cached run
    again = await client.post("/api/v1/coverage/runs", json=body)
    assert (
        again.status_code == 200
        and again.json()["cached"]
        and again.json()["id"] == int(loc.rsplit("/", 1)[1])
    )
    # per-region figures and the gateway route
    latest = (await client.get("/api/v1/coverage/regions/110101001001/latest")).json()
    assert latest["covered_share_by_elderly"] == 1.0  # a (96 m) and b (352 m) both within 6 min
    assert (await client.get("/api/v1/coverage/regions/999999999999/latest")).status_code == 404
    gaps = (await client.get(loc + "/gaps")).json()
    assert sum(f["properties"]["uncovered_elderly"] for f in gaps["features"]) == 35  # c + far


async def test_scenario_siting_isochrones_walk_times(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    net_id, demand_id = await setup(client, tiny)
    base = {
        "network_id": net_id,
        "demand_set_id": demand_id,
        "minutes": 6,
        "stations": stations_json(tiny),
    }
    loc = (await client.post("/api/v1/coverage/runs", json=base)).headers["Location"]
    await finished(client, loc)
    scen = {
        **base,
        "close_stations": ["west"],
        "add_stations": [{"id": "new", "lon": 116.402, "lat": 39.8985}],
    }
    loc2 = (await client.post("/api/v1/coverage/runs", json=scen)).headers["Location"]
    await finished(client, loc2)
    cmp_ = (await client.get(loc2 + f"/compare/{loc.rsplit('/', 1)[1]}")).json()
    assert cmp_["stations"]["change"] == 0
    # The what-if is marked, and the region's current figures stay those of the real stations.
    assert (await client.get(loc2)).json()["params"]["scenario"] == {"added": 1, "closed": 1}
    for code in ("110101001001", "110101000000"):  # a community, and a rollup to its street
        latest = (await client.get(f"/api/v1/coverage/regions/{code}/latest")).json()
        assert latest["run_id"] == int(loc.rsplit("/", 1)[1]), code
    site = await client.post(
        loc + "/siting",
        json={
            "k": 1,
            "method": "exact",
            "candidates": [
                {"id": "south", "lon": 116.402, "lat": 39.898},
                {"id": "nowhere", "lon": 116.5, "lat": 39.9},
            ],
        },
    )
    assert site.status_code == 200, site.text
    assert site.json()["chosen"][0]["id"] == "south" and site.json()["newly_covered_elderly"] == 30
    # with a budget: "south" (cost 5) is over a budget of 3, so the cheap one is taken
    cands = [
        {"id": "south", "lon": 116.402, "lat": 39.898, "cost": 5},
        {"id": "cheap", "lon": 116.4025, "lat": 39.8985, "cost": 2},
    ]
    b = await client.post(
        loc + "/siting", json={"k": 2, "method": "exact", "budget": 3, "candidates": cands}
    )
    assert b.status_code == 200, b.text
    assert [c["id"] for c in b.json()["chosen"]] == ["cheap"]
    nob = await client.post(loc + "/siting", json={"k": 1, "budget": 3, "candidates": cands})
    assert nob.status_code == 422
    iso = (
        await client.post(
            loc + "/isochrones",
            json={"station_ids": ["west", "ghost"]},
            headers={"Accept": "application/json"},  # the per-station answer (default: GeoJSON)
        )
    ).json()
    assert [i["status"] for i in iso["items"]] == ["ok", "error"]
    assert [c["minutes"] for c in iso["items"][0]["contours"]] == [5.0, 10.0, 15.0]
    wt = await client.post(
        "/api/v1/coverage/walk-times",
        json={
            "lon": 116.401,
            "lat": 39.9,
            "stations": [
                {"id": "w", "lon": 116.4, "lat": 39.9001},
                {"id": "far", "lon": 116.4, "lat": 39.95},
            ],
        },
    )
    items = wt.json()["items"]
    assert items[1]["walk_minutes"] is None
    run_pts = (await client.get(loc + "/points")).json()["items"]
    assert items[0]["walk_minutes"] == pytest.approx(
        next(p for p in run_pts if p["id"] == "a")["minutes"]
    )


async def test_clear_errors(
    client: httpx.AsyncClient, tiny: dict[str, Path], tmp_path: Path
) -> None:
    net_id, demand_id = await setup(client, tiny)
    st = stations_json(tiny)
    r = await client.post(
        "/api/v1/coverage/runs",
        json={"network_id": 999, "demand_set_id": demand_id, "stations": st},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "network_id"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post("/api/v1/coverage/demand", json={"points": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "points"
    lost = [*st, {"id": "lost", "lon": 116.40, "lat": 39.95}]
    r = await client.post(
        "/api/v1/coverage/runs",
        json={"network_id": net_id, "demand_set_id": demand_id, "stations": lost},
    )
    assert (
        r.status_code == 422
        and "lost" in r.json()["detail"]
        and r.json()["errors"][0]["field"] == "stations[2]"
    )
    pts = tmp_path / "points.geojson"
    pts.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                    }
                ],
            }
        )
    )
    with pts.open("rb") as fh:
        r = await client.post("/api/v1/coverage/networks/upload", files={"file": ("p.geojson", fh)})
    assert r.status_code == 422 and "no edges" in r.json()["detail"]
    r = await client.post(
        "/api/v1/coverage/runs", json={"network_id": net_id, "demand_set_id": demand_id}
    )
    assert r.status_code == 503  # no facilities service at :9 and no explicit stations
    assert (await client.get("/api/v1/coverage/runs/12345")).status_code == 404


async def test_concurrent_identical_submissions_share_one_run(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    net_id, demand_id = await setup(client, tiny)
    body = {"network_id": net_id, "demand_set_id": demand_id, "stations": stations_json(tiny)}
    answers = await asyncio.gather(
        *[client.post("/api/v1/coverage/runs", json=body) for _ in range(5)]
    )
    assert all(a.status_code in (200, 202) for a in answers), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    again = await asyncio.gather(
        *[
            client.post("/api/v1/coverage/networks", json={"path": str(tiny["network"])})
            for _ in range(3)
        ]
    )
    assert {a.json()["id"] for a in again} == {net_id}


async def test_rural_circle_on_the_driving_network(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    _, demand_id = await setup(client, tiny)
    r = await client.post(
        "/api/v1/coverage/networks", json={"path": str(tiny["network"]), "kind": "drive"}
    )
    assert r.status_code == 201 and r.json()["n_edges"] == 13  # the oneway spur counts once
    drive_id = r.json()["id"]
    run = await client.post(
        "/api/v1/coverage/runs",
        json={
            "network_id": drive_id,
            "demand_set_id": demand_id,
            "minutes": 60,
            "stations": stations_json(tiny),
        },
    )
    assert (await finished(client, run.headers["Location"]))["status"] == "done"
    pts = (await client.get(run.headers["Location"] + "/points")).json()["items"]
    by_id = {p["id"]: p for p in pts}
    # by car the 11 m walk to "west" costs more than it saves: "north" wins for b.
    # residential 30 km/h: 2 blocks east-west + half the north-south street, by geodesics
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    seg = geod.inv(116.400, 39.9, 116.401, 39.9)[2]
    half_ns = geod.inv(116.402, 39.900, 116.402, 39.902)[2]
    assert by_id["b"]["nearest_station"] == "north"
    assert by_id["b"]["minutes"] == pytest.approx((2 * seg + half_ns) / (30 / 3.6) / 60, rel=1e-3)
    wt = await client.post(
        "/api/v1/coverage/walk-times",
        json={"lon": 116.401, "lat": 39.9, "network": drive_id, "stations": []},
    )
    assert wt.status_code == 422 and wt.json()["errors"][0]["field"] == "network"


async def test_two_step_fca_and_street_rollup_hand_worked(
    client: httpx.AsyncClient, tiny: dict[str, Path]
) -> None:
    """6 min: west (10 beds) reaches a (10 elderly, 96 m) and b (20, 352 m); north (20 beds)
    reaches only a (222 + 85 = 307 m); c (30) and "far" (5) reach nobody."""
    net_id, demand_id = await setup(client, tiny)
    st = stations_json(tiny)
    st[0]["capacity"], st[1]["capacity"] = 10, 20
    r = await client.post(
        "/api/v1/coverage/runs",
        json={"network_id": net_id, "demand_set_id": demand_id, "minutes": 6, "stations": st},
    )
    loc = r.headers["Location"]
    assert (await finished(client, loc))["status"] == "done"
    pts = {p["id"]: p for p in (await client.get(loc + "/points")).json()["items"]}
    assert pts["a"]["access_2sfca"] == pytest.approx(10 / 30 + 20 / 10)
    assert pts["b"]["access_2sfca"] == pytest.approx(10 / 30)
    # every reached bed is handed out exactly once
    assert sum(p["elderly"] * p["access_2sfca"] for p in pts.values()) == pytest.approx(30)
    assert pts["c"]["access_2sfca"] == 0 and pts["far"]["access_2sfca"] == 0
    summary = (await client.get(loc + "/summary")).json()
    by_region = {g["group"]: g for g in summary["twosfca_by_region_code"]}
    assert by_region["110101001001"]["beds_per_elderly"] == pytest.approx(30 / 30)
    street = (await client.get("/api/v1/coverage/regions/110101001000/latest")).json()
    assert street["elderly"] == 65 and street["covered_elderly"] == 30
    # A district (and its city) sum their communities, never a street and its communities twice.
    for ancestor in ("110101000000", "110100000000"):
        rolled = (await client.get(f"/api/v1/coverage/regions/{ancestor}/latest")).json()
        assert (rolled["elderly"], rolled["covered_elderly"]) == (
            street["elderly"],
            street["covered_elderly"],
        )
        assert rolled["demand_points"] == street["demand_points"]
        assert rolled["rolled_up_from"] == ["110101001001", "110101001002"]
    assert (await client.get("/api/v1/coverage/regions/110102000000/latest")).status_code == 404


async def test_runs_left_queued_by_a_stopped_process_run_at_startup(
    coverage_db_url: str, tiny: dict[str, Path]
) -> None:
    from services.common.db import make_engine, make_session_factory
    from services.coverage import repository as repo

    settings = CoverageSettings(
        database_url=coverage_db_url, facilities_url="http://127.0.0.1:9", import_dir=str(DATA)
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            net_id, demand_id = await setup(c, tiny)
    # a run that a crashed process accepted but never started
    engine = make_engine(coverage_db_url)
    with make_session_factory(engine, write=True)() as s:
        row, _ = repo.add_run(
            session=s,
            cache_key="left-behind",
            network_id=net_id,
            demand_set_id=demand_id,
            registry_version=None,
            stations=stations_json(tiny),
            params={
                "minutes": 6.0,
                "speed_mps": 1.0,
                "max_snap_m": 500.0,
                "skip_far_stations": False,
                "gap_resolution": 9,
            },
        )
        s.commit()
        run_id = row.id
    engine.dispose()
    app2 = create_app(settings)
    async with app2.router.lifespan_context(app2):
        transport = httpx.ASGITransport(app=app2)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            body = await finished(c, f"/api/v1/coverage/runs/{run_id}")
            assert body["status"] == "done"
            summary = (await c.get(f"/api/v1/coverage/runs/{run_id}/summary")).json()
            assert summary["covered_share_by_count"] == 0.5


async def test_unknown_network_path_names_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/coverage/networks", json={"path": "missing.osm.pbf"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path"
    assert r.json()["detail"] == "network file not found: missing.osm.pbf"

"""Bad input gets a 422 naming the field (never a 500), and answers leak nothing of the server."""

from __future__ import annotations

import asyncio
import json
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from services.common.db import make_engine
from services.coverage.app import create_app
from services.coverage.settings import CoverageSettings
from tests.conftest import SHARED_DATA
from tests.coverage.conftest import DATA

HUGE = "99999999999999999999999"
HELSINKI = SHARED_DATA / "helsinki-osm-sample" / "Helsinki.osm.pbf"


async def client_for(settings: CoverageSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.fixture
async def client(coverage_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = CoverageSettings(
        database_url=coverage_db_url, facilities_url="http://127.0.0.1:9", import_dir=str(DATA)
    )
    async for c in client_for(settings):
        yield c


def fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json()["errors"]]


async def test_ids_above_the_column_range_are_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        f"/api/v1/coverage/networks/{HUGE}",
        f"/api/v1/coverage/demand/{HUGE}",
        f"/api/v1/coverage/runs/{HUGE}",
        f"/api/v1/coverage/runs/{HUGE}/summary",
        f"/api/v1/coverage/runs/1/compare/{HUGE}",
        f"/api/v1/coverage/runs/{2**31}/gaps",
    ):
        r = await client.get(path)
        assert r.status_code == 422, (path, r.text)
        assert fields(r)[0].startswith("path."), path
    r = await client.get("/api/v1/coverage/runs/1/points", params={"cursor": HUGE})
    assert r.status_code == 422 and fields(r) == ["query.cursor"]
    r = await client.post(
        "/api/v1/coverage/runs",
        json={"network_id": int(HUGE), "demand_set_id": 1, "stations": []},
    )
    assert r.status_code == 422 and "body.network_id" in fields(r)
    r = await client.post(
        "/api/v1/coverage/walk-times",
        json={"lon": 1, "lat": 2, "network": int(HUGE), "stations": []},
    )
    assert r.status_code == 422 and fields(r) == ["body.network"]


async def test_a_bad_station_query_is_a_422_before_any_call(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/coverage/runs",
        json={"network_id": 1, "demand_set_id": 1, "station_query": {"type": ["Bogus,x"]}},
    )
    assert r.status_code == 422 and fields(r) == ["body.station_query.type.0"]


async def test_server_paths_outside_the_folder_all_get_the_same_answer(
    coverage_db_url: str, tmp_path: Path
) -> None:
    """Whether /etc/shadow exists must not show: outside the folder every path is one 403."""
    inside = tmp_path / "imports"
    (inside / "sub").mkdir(parents=True)
    (inside / "escape").symlink_to("/etc")
    for import_dir in ("", str(inside)):
        settings = CoverageSettings(database_url=coverage_db_url, import_dir=import_dir)
        async for c in client_for(settings):
            answers = set()
            for raw in (
                "/etc/shadow",
                "/etc/passwd",
                "/etc/no-such-file-here",
                "/no/such/dir/x.osm.pbf",
                str(inside.parent / "x.osm.pbf"),
                "../../../../etc/shadow",
            ):
                r = await c.post("/api/v1/coverage/networks", json={"path": raw})
                body = {k: v for k, v in r.json().items() if k != "request_id"}
                answers.add((r.status_code, json.dumps(body, sort_keys=True)))
                assert r.status_code == 403 and body["field"] == "path", raw
            assert len(answers) == 1, answers
            if import_dir:
                r = await c.post("/api/v1/coverage/networks", json={"path": "escape/passwd"})
                assert r.status_code == 403 and r.json()["field"] == "path"
                r = await c.post("/api/v1/coverage/networks", json={"path": "sub"})
                assert r.status_code == 422 and r.json()["detail"] == "sub is not a file"
                r = await c.post("/api/v1/coverage/networks", json={"path": "a\x00b.osm.pbf"})
                assert r.status_code == 422 and fields(r) == ["path"]
                assert "NUL" in r.json()["detail"]


async def test_a_relative_path_is_read_from_the_import_folder(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/coverage/networks", json={"path": "tiny_streets.geojson"})
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "tiny_streets.geojson"  # the server's layout is not shown


def truncated_and_garbage_pbfs(tmp_path: Path) -> dict[str, bytes]:
    whole = HELSINKI.read_bytes()
    return {
        "truncated.osm.pbf": whole[: len(whole) // 2],
        "cut-header.osm.pbf": whole[:1000],
        "garbage.osm.pbf": bytes(range(256)) * 64,
        "empty.osm.pbf": b"",
        "vrt.geojson": b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'
        b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        "not.gpkg": b"PK\x03\x04 definitely not sqlite",
        "bad.npz": b"PK\x03\x04 not a zip body at all",
        "numbers.geojson": b'{"type":"FeatureCollection","features":[{"type":"Feature",'
        b'"geometry":{"type":"LineString","coordinates":[[1,2],[1e999,3]]},"properties":{}}]}',
        "streets.vrt": b"<OGRVRTDataSource/>",
    }


async def test_broken_network_uploads_are_422_without_server_paths(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    tmp = tempfile.gettempdir()
    for name, content in truncated_and_garbage_pbfs(tmp_path).items():
        r = await client.post(
            "/api/v1/coverage/networks/upload", files={"file": (name, content, "x/y")}
        )
        assert r.status_code == 422, (name, r.text)
        assert fields(r) == ["file"], name
        assert name in r.json()["detail"] or "network is a" in r.json()["detail"], r.text
        assert tmp not in r.text and "upload." not in r.text, r.text
    assert (await client.get("/api/v1/coverage/networks")).json()["items"] == []


def geojson_with_distinct_properties(n: int) -> bytes:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [116.4 + i * 1e-5, 39.9]},
            "properties": {"id": f"p{i}", "elderly": 1, f"prop_{i}": i},
        }
        for i in range(n)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


async def test_a_demand_file_with_a_new_property_per_feature_is_refused_in_bounded_memory(
    client: httpx.AsyncClient,
) -> None:
    """8,000 features, each with its own property name: 8.7 s and +560 MB before; now a 422."""
    content = geojson_with_distinct_properties(8_000)
    tracemalloc.start()
    try:
        r = await client.post(
            "/api/v1/coverage/demand/upload", files={"file": ("d.geojson", content, "x/y")}
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 422 and fields(r) == ["file"]
    assert "more than 64 distinct property names" in r.json()["detail"]
    assert peak < 60e6, f"peak {peak / 1e6:.0f} MB"  # the file is 1.1 MB
    ok = await client.post(
        "/api/v1/coverage/demand/upload",
        files={"file": ("d.geojson", geojson_with_distinct_properties(60), "x/y")},
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "big.csv",
            b"id,lon,lat,elderly\n" + b"a" * 200_000 + b",1,2,3\n",
            "row 1: a field larger than 128 KiB",
        ),
        ("extra.csv", b"id,lon,lat,elderly\na,1,2,3,4\n", "5 fields, the header has 4"),
        ("wide.csv", ",".join(f"c{i}" for i in range(100)).encode() + b"\n", "100 columns"),
        ("deep.geojson", b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (
            "count.csv",
            b"id,lon,lat,elderly,elderly_80plus\na,1,2,3,4\nb,1,2,3,many\n",
            "row 2: elderly_80plus 'many' is not a number",
        ),
        (
            "longid.csv",
            b"id,lon,lat,elderly\n" + b"x" * 200 + b",1,2,3\n",
            "at most 128 characters",
        ),
        ("bad.geojson", b'{"type":"FeatureCollection","features":[3]}', "feature 1"),
        (
            "nocoords.geojson",
            b'{"type":"FeatureCollection","features":[{"geometry":{"type":"Point"}}]}',
            "[lon, lat]",
        ),
        (
            "props.geojson",
            b'{"type":"FeatureCollection","features":[{"geometry":{"type":"Point",'
            b'"coordinates":[1,2]},"properties":[1]}]}',
            "must be objects",
        ),
        (
            "ring.geojson",
            b'{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon",'
            b'"coordinates":[[1]]},"properties":{"id":1,"elderly":1}}]}',
            "malformed Polygon",
        ),
    ],
)
async def test_bad_demand_files_are_422_naming_the_file(
    client: httpx.AsyncClient, name: str, content: bytes, message: str
) -> None:
    r = await client.post("/api/v1/coverage/demand/upload", files={"file": (name, content, "x/y")})
    assert r.status_code == 422 and fields(r) == ["file"], r.text
    assert message in r.json()["detail"]


async def test_a_body_over_the_limit_is_413_problem_json_before_it_is_read(
    coverage_db_url: str,
) -> None:
    settings = CoverageSettings(database_url=coverage_db_url, max_upload_mb=1)
    async for c in client_for(settings):
        r = await c.post(
            "/api/v1/coverage/demand",
            content=b"{" + b" " * 1_200_000 + b"}",
            headers={"content-type": "application/json", "x-request-id": "req-413"},
        )
        assert r.status_code == 413 and r.json()["request_id"] == "req-413"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "COVERAGE_MAX_UPLOAD_MB" in r.json()["detail"]


async def test_walk_times_past_their_budget_are_503_with_retry_after(
    coverage_db_url: str,
) -> None:
    settings = CoverageSettings(
        database_url=coverage_db_url, import_dir=str(DATA), walk_times_budget_s=1e-6
    )
    async for c in client_for(settings):
        r = await c.post("/api/v1/coverage/networks", json={"path": "tiny_streets.geojson"})
        assert r.status_code == 201
        body = {"lon": 116.401, "lat": 39.9, "stations": [{"id": "w", "lon": 116.4, "lat": 39.9}]}
        busy = await c.post("/api/v1/coverage/walk-times", json=body)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"].startswith("application/problem+json")
        assert "did not finish within" in busy.json()["detail"]
        metrics = (await c.get("/metrics")).text
        assert 'coverage_walk_times_total{outcome="over_budget"} 1.0' in metrics


async def test_nul_and_odd_codes_never_reach_the_database(client: httpx.AsyncClient) -> None:
    """PostgreSQL refuses NUL in text and 12-character codes are a varchar(12): both used to
    end in a 500, or in a run stuck at "running" after its results failed to store."""
    r = await client.get("/api/v1/coverage/regions/%00/latest")
    assert r.status_code == 422 and fields(r) == ["path.code"]
    net = await client.post("/api/v1/coverage/networks", json={"path": "tiny_streets.geojson"})
    bad = b"id,lon,lat,elderly\na\x00b,116.401,39.9,5\n"
    r = await client.post("/api/v1/coverage/demand/upload", files={"file": ("d.csv", bad)})
    assert r.status_code == 422 and "without NUL" in r.json()["detail"]
    odd = b"id,lon,lat,elderly,region_code\na,116.401,39.9,5,abcdefghijklmnopq\nb,116.4015,39.9,5,110101001001\n"
    dm = await client.post("/api/v1/coverage/demand/upload", files={"file": ("d.csv", odd)})
    assert dm.status_code == 201, dm.text
    body = {
        "network_id": net.json()["id"],
        "demand_set_id": dm.json()["id"],
        "stations": [{"id": "w\x00", "lon": 116.4, "lat": 39.9001}],
    }
    r = await client.post("/api/v1/coverage/runs", json=body)
    assert r.status_code == 422 and fields(r) == ["body.stations.0.id"]
    body["stations"] = [{"id": "w", "lon": 116.4, "lat": 39.9001}]
    r = await client.post("/api/v1/coverage/runs", json=body)
    assert (await finished(client, r.headers["Location"]))["status"] == "done"
    summary = (await client.get(r.headers["Location"] + "/summary")).json()
    assert {g["group"] for g in summary["by_region_code"]} == {
        "abcdefghijklmnopq",
        "110101001001",
    }
    latest = await client.get("/api/v1/coverage/regions/110101001001/latest")
    assert latest.status_code == 200 and latest.json()["demand_points"] == 1


async def test_a_run_whose_results_cannot_be_stored_fails_instead_of_running_forever(
    coverage_db_url: str,
) -> None:
    """A real storage fault (the results table is gone) must end as "failed", never "running"."""
    settings = CoverageSettings(database_url=coverage_db_url, import_dir=str(DATA))
    engine = make_engine(coverage_db_url)
    try:
        async for c in client_for(settings):
            net = await c.post("/api/v1/coverage/networks", json={"path": "tiny_streets.geojson"})
            with (DATA / "tiny_demand.csv").open("rb") as fh:
                dm = await c.post("/api/v1/coverage/demand/upload", files={"file": ("d.csv", fh)})
            with engine.begin() as conn:
                conn.execute(sa.text("ALTER TABLE coverage_run_points RENAME TO moved_away"))
            try:
                r = await c.post(
                    "/api/v1/coverage/runs",
                    json={
                        "network_id": net.json()["id"],
                        "demand_set_id": dm.json()["id"],
                        "stations": [{"id": "w", "lon": 116.4, "lat": 39.9001}],
                    },
                )
                run = await finished(c, r.headers["Location"])
            finally:
                with engine.begin() as conn:
                    conn.execute(sa.text("ALTER TABLE moved_away RENAME TO coverage_run_points"))
            assert run["status"] == "failed" and "storing the results failed" in str(run["error"])
    finally:
        engine.dispose()


async def finished(c: httpx.AsyncClient, location: str) -> dict[str, object]:
    for _ in range(400):
        body: dict[str, object] = (await c.get(location)).json()
        if body["status"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"run still {body['status']}")

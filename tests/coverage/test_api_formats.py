"""Run results as GeoJSON, CSV, xlsx and GeoPackage that GDAL, Excel and QGIS read (both engines).

Isochrones (the outside contract: one feature per station and minute value, properties
``station_id`` and ``minutes``), gaps, points and siting; content negotiation by Accept and
by ``format=``; the JSON answers existing clients use stay as they were. Downloads are read
back with ``csv`` (utf-8-sig), openpyxl, sqlite3 and ``ogrinfo``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.coverage import test_api
from tests.coverage.test_api import finished, setup, stations_json

client = test_api.client  # the same app fixture (both engines)

GEO = "application/geo+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
needs_ogrinfo = pytest.mark.skipif(
    shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo (scripts/ensure_services.sh)"
)


def ogr_feature_count(doc: dict[str, Any], tmp_path: Path, name: str) -> int:
    """The feature count GDAL reports for ``doc`` saved as a .geojson file."""
    path = tmp_path / f"{name}.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Feature Count: (\d+)", out)
    assert found, out
    return int(found.group(1))


async def finished_run(c: httpx.AsyncClient, tiny: dict[str, Path]) -> str:
    net_id, demand_id = await setup(c, tiny)
    body = {
        "network_id": net_id,
        "demand_set_id": demand_id,
        "minutes": 6,
        "stations": stations_json(tiny),
    }
    loc = (await c.post("/api/v1/coverage/runs", json=body)).headers["Location"]
    assert (await finished(c, loc))["status"] == "done"
    return loc


@needs_ogrinfo
async def test_isochrones_are_geojson_one_feature_per_station_and_minutes(
    client: httpx.AsyncClient,
    tiny: dict[str, Path],
    tmp_path: Path,
) -> None:
    loc = await finished_run(client, tiny)
    body = {"station_ids": ["west", "north", "ghost"], "minutes": [2, 5, 10]}
    r = await client.post(loc + "/isochrones", json=body)  # no Accept: the default
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(GEO)
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    got = sorted(
        (f["properties"]["station_id"], f["properties"]["minutes"]) for f in fc["features"]
    )
    assert got == sorted((s, float(m)) for s in ("west", "north", "ghost") for m in (2, 5, 10))
    assert ogr_feature_count(fc, tmp_path, "isochrones") == 9
    ok = [f for f in fc["features"] if f["properties"]["station_id"] != "ghost"]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in ok)
    ghost = [f for f in fc["features"] if f["properties"]["station_id"] == "ghost"]
    assert all(f["geometry"] is None and f["properties"]["status"] == "error" for f in ghost)
    # the same polygons as the per-station JSON answer
    legacy = await client.post(loc + "/isochrones", json=body, params={"format": "json"})
    assert legacy.headers["content-type"].startswith("application/json")
    west = next(i for i in legacy.json()["items"] if i["id"] == "west")
    by_minutes = {c["minutes"]: c["geometry"] for c in west["contours"]}
    for f in fc["features"]:
        if f["properties"]["station_id"] == "west":
            assert f["geometry"] == by_minutes[f["properties"]["minutes"]]


@needs_ogrinfo
async def test_gaps_points_and_siting_as_geojson(
    client: httpx.AsyncClient,
    tiny: dict[str, Path],
    tmp_path: Path,
) -> None:
    loc = await finished_run(client, tiny)
    gaps = await client.get(loc + "/gaps")
    assert gaps.headers["content-type"].startswith(GEO)
    n_gaps = len(gaps.json()["features"])
    assert n_gaps >= 1 and ogr_feature_count(gaps.json(), tmp_path, "gaps") == n_gaps
    as_json = await client.get(loc + "/gaps", headers={"Accept": "application/json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json() == gaps.json()

    plain = (await client.get(loc + "/points")).json()  # default: the JSON page
    pts = await client.get(loc + "/points", headers={"Accept": GEO})
    assert pts.headers["content-type"].startswith(GEO)
    fc = pts.json()
    assert ogr_feature_count(fc, tmp_path, "points") == len(plain["items"]) == 4
    demand = {
        row.split(",")[0]: [float(v) for v in row.split(",")[1:3]]
        for row in tiny["demand"].read_text().splitlines()[1:]
    }
    for f, item in zip(fc["features"], plain["items"], strict=True):
        p = f["properties"]
        assert p["id"] == item["id"] and p["minutes"] == item["minutes"]
        assert f["geometry"]["coordinates"] == pytest.approx(demand[p["id"]])
        assert p["covered"] is (item["minutes"] is not None and item["minutes"] <= 6)
    page = (await client.get(loc + "/points", params={"format": "geojson", "limit": 3})).json()
    assert len(page["features"]) == 3 and page["next_cursor"] is not None

    cands = [
        {"id": "south", "lon": 116.402, "lat": 39.898},
        {"id": "nowhere", "lon": 116.5, "lat": 39.9},
    ]
    site = await client.post(
        loc + "/siting",
        json={"k": 1, "method": "exact", "candidates": cands},
        params={"format": "geojson"},
    )
    assert site.status_code == 200 and site.headers["content-type"].startswith(GEO)
    sfc = site.json()
    assert [f["properties"]["id"] for f in sfc["features"]] == ["south"]
    assert sfc["newly_covered_elderly"] == 30
    assert ogr_feature_count(sfc, tmp_path, "siting") == 1


async def test_negotiation_errors(
    client: httpx.AsyncClient,
    tiny: dict[str, Path],
) -> None:
    loc = await finished_run(client, tiny)
    r = await client.get(loc + "/gaps", headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "header.accept"
    r = await client.get(loc + "/gaps", params={"format": "shapefile"})
    assert r.status_code == 422 and "format" in json.dumps(r.json()["errors"])
    # q-values: geo+json preferred over json
    r = await client.get(
        loc + "/points", headers={"Accept": "application/json;q=0.5, application/geo+json"}
    )
    assert r.headers["content-type"].startswith(GEO)


@needs_ogrinfo
async def test_downloads_for_planners_and_bureaus(
    client: httpx.AsyncClient, tiny: dict[str, Path], tmp_path: Path
) -> None:
    loc = await finished_run(client, tiny)
    plain = {p["id"]: p for p in (await client.get(loc + "/points")).json()["items"]}

    r = await client.get(loc + "/points", params={"format": "csv", "limit": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="run-' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf") and b"True" not in r.content
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(plain) == 4  # every point, whatever limit says
    for row in rows:
        p = plain[row["id"]]
        assert row["covered"] == (
            "true" if p["minutes"] is not None and p["minutes"] <= 6 else "false"
        )
        assert row["minutes"] == ("" if p["minutes"] is None else f"{round(p['minutes'], 1):g}")

    zh = await client.get(loc + "/points", params={"format": "csv", "lang": "zh"})
    head, *body = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert head[0] == "编号" and {r[head.index("是否覆盖")] for r in body} <= {"是", "否"}

    x = await client.get(loc + "/points", headers={"Accept": XLSX})
    assert x.headers["content-type"] == XLSX
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    sheet = [[c.value for c in row] for row in ws.iter_rows()]
    assert sheet[0][:3] == ["id", "elderly", "minutes"] and len(sheet) == 5
    assert all(isinstance(r[1], int | float) for r in sheet[1:])

    g = await client.get(loc + "/points", params={"format": "gpkg"})
    path = tmp_path / "points.gpkg"
    path.write_bytes(g.content)
    assert ogr_count(path) == 4
    with sqlite3.connect(path) as db:
        got = dict(db.execute(f"select id, minutes from [run-{loc.rsplit('/', 1)[1]}-points]"))
    assert got == pytest.approx({k: p["minutes"] for k, p in plain.items()}, nan_ok=True)

    gaps = (await client.get(loc + "/gaps")).json()
    gx = await client.get(loc + "/gaps", params={"format": "xlsx", "lang": "zh"})
    gsheet = [
        [c.value for c in row] for row in load_workbook(io.BytesIO(gx.content)).active.iter_rows()
    ]  # type: ignore[union-attr]
    assert gsheet[0][0] == "排名" and len(gsheet) == len(gaps["features"]) + 1
    gg = await client.get(loc + "/gaps", params={"format": "gpkg"})
    (tmp_path / "gaps.gpkg").write_bytes(gg.content)
    assert ogr_count(tmp_path / "gaps.gpkg") == len(gaps["features"])

    cands = [{"id": "south", "lon": 116.402, "lat": 39.898}]
    s = await client.post(
        loc + "/siting",
        json={"k": 1, "method": "exact", "candidates": cands},
        params={"format": "csv"},
    )
    srows = list(csv.DictReader(io.StringIO(s.content.decode("utf-8-sig"))))
    assert [(r["rank"], r["id"], r["marginal_elderly"]) for r in srows] == [("1", "south", "30")]

    iso = await client.post(
        loc + "/isochrones",
        json={"station_ids": ["west", "ghost"], "minutes": [5, 10]},
        params={"format": "gpkg"},
    )
    assert iso.headers["content-type"] == "application/geopackage+sqlite3"
    (tmp_path / "iso.gpkg").write_bytes(iso.content)
    assert ogr_count(tmp_path / "iso.gpkg") == 4
    no_csv = await client.post(loc + "/isochrones", json={}, params={"format": "csv"})
    assert no_csv.status_code == 422


def ogr_count(path: Path) -> int:
    out = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Feature Count: (\d+)", out)
    assert found, out
    return int(found.group(1))

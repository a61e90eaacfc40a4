"""Bulk import/export over HTTP on both engines: validated first, all-or-nothing, upsert, streaming export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import numpy as np
import pytest

from tests.facilities.test_regions import brute_force_deepest, small_features

pytestmark = pytest.mark.asyncio
TYPES = ["community_station", "day_care", "meal_point", "care_center"]


def generated_csv(n: int, seed: int = 3, **extra: str) -> tuple[str, list[dict[str, Any]]]:
    """``n`` generated facilities inside/around the small test regions (no open POI set exists offline)."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "external_id": f"G{i}",
            "name": f"测试站{i}",
            "type": TYPES[i % len(TYPES)],
            "lon": round(float(rng.uniform(106.45, 106.95)), 6),
            "lat": round(float(rng.uniform(29.45, 29.75)), 6),
            "services": "meal;day_care" if i % 2 else "",
            "capacity": str(i % 50),
            **extra,
        }
        for i in range(n)
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue(), rows


async def post_csv(client: httpx.AsyncClient, text: str, **params: Any) -> httpx.Response:
    return await client.post(
        "/api/v1/facilities/import",
        content=text.encode(),
        params=params,
        headers={"Content-Type": "text/csv"},
    )


async def test_thousands_of_rows_import_with_regions_like_single_lookups(
    client: httpx.AsyncClient, small_regions: dict[str, Any]
) -> None:
    text, rows = generated_csv(3000)
    dry = await post_csv(client, text, dry_run="true")
    assert dry.status_code == 200 and dry.json()["created"] == 3000
    assert (await client.get("/api/v1/facilities/snapshot")).json()["items"] == []
    report = (await post_csv(client, text)).json()
    assert (report["created"], report["updated"]) == (3000, 0)
    items = {
        i["external_id"]: i
        for i in (await client.get("/api/v1/facilities/snapshot")).json()["items"]
    }
    features = small_features()
    for row in rows[::37]:
        assert items[row["external_id"]]["region_code"] == brute_force_deepest(
            row["lon"], row["lat"], features
        )
    history = (await client.get(f"/api/v1/facilities/{items['G5']['id']}/history")).json()["items"]
    assert history[0]["action"] == "import" and history[0]["after"]["services"] == [
        "meal",
        "day_care",
    ]


async def test_upsert_by_source_and_external_id(client: httpx.AsyncClient) -> None:
    text, _ = generated_csv(20)
    await post_csv(client, text)
    before = (await client.get("/api/v1/registry/version")).json()["registry_version"]
    same = (await post_csv(client, text)).json()
    assert (same["created"], same["updated"], same["unchanged"]) == (0, 0, 20)
    assert same["registry_version"] == before  # nothing changed, nothing bumped
    changed_text, _ = generated_csv(25, status="suspended")
    changed = (await post_csv(client, changed_text)).json()
    assert (changed["created"], changed["updated"]) == (5, 20)
    item = (await client.get("/api/v1/facilities/snapshot")).json()["items"][0]
    assert item["status"] == "suspended"
    full = (await client.get(f"/api/v1/facilities/{item['id']}")).json()
    assert full["version"] == 2
    other_source = (await post_csv(client, text, source="osm")).json()
    assert other_source["created"] == 20


async def test_every_bad_row_is_named_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    text = (
        "external_id,name,type,lon,lat,star_rating,opening_hours,status\n"
        "E1,好站,day_care,106.6,29.6,,,\n"
        "E2,坏类型,castle,106.6,29.6,,,\n"
        "E3,坏坐标,day_care,abc,29.6,,,\n"
        "E1,重复,day_care,106.6,29.6,,,\n"
        'E5,坏时间,day_care,106.6,29.6,7,"{""mon"": [[""9"", ""8""]]}",open\n'
        ",无编号,day_care,106.6,29.6,,,\n"
    )
    response = await post_csv(client, text)
    assert response.status_code == 422
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {
        (2, "type"),
        (3, "lon"),
        (4, "external_id"),
        (5, "star_rating"),
        (5, "opening_hours"),
        (5, "status"),
        (6, "external_id"),
    }
    assert (await client.get("/api/v1/facilities/snapshot")).json()["items"] == []


async def test_header_problems_are_reported(client: httpx.AsyncClient) -> None:
    response = await post_csv(client, "external_id,name,kind,lon,lat\n1,a,day_care,1,2\n")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"type", "kind"}
    assert (
        await client.post(
            "/api/v1/facilities/import", content=b"x", headers={"Content-Type": "image/png"}
        )
    ).status_code == 415


async def test_csv_and_geojson_exports_reimport_unchanged(client: httpx.AsyncClient) -> None:
    text, rows = generated_csv(300)
    await post_csv(client, text)
    exported = await client.get("/api/v1/facilities/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the names
    exported_rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(exported_rows) == 300
    assert {(r["external_id"], float(r["lon"]), float(r["lat"])) for r in exported_rows} == {
        (r["external_id"], r["lon"], r["lat"]) for r in rows
    }
    again = (await post_csv(client, exported.text, source="registry")).json()
    assert again["unchanged"] == 300
    geo = await client.get(
        "/api/v1/facilities/export", params={"format": "geojson", "type": "day_care"}
    )
    collection = json.loads(geo.text)
    assert len(collection["features"]) == sum(r["type"] == "day_care" for r in rows)
    reimport = await client.post(
        "/api/v1/facilities/import",
        content=geo.content,
        headers={"Content-Type": "application/geo+json"},
    )
    assert reimport.json()["unchanged"] == len(collection["features"]), reimport.text[:400]


async def test_geojson_import_in_gcj02(client: httpx.AsyncClient) -> None:
    from services.facilities import crs as crs_mod

    gcj = crs_mod.point_from_wgs84(106.55, 29.55, "gcj02")
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "J1",
                "geometry": {"type": "Point", "coordinates": list(gcj)},
                "properties": {"name": "高德站", "type": "meal_point", "services": ["meal"]},
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                "properties": {"external_id": "J2", "name": "线", "type": "meal_point"},
            },
        ],
    }
    bad = await client.post("/api/v1/facilities/import", json=collection, params={"crs": "gcj02"})
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"row": 2, "field": "geometry", "message": "each feature needs a Point geometry"}
    ]
    collection["features"].pop()
    ok = await client.post("/api/v1/facilities/import", json=collection, params={"crs": "gcj02"})
    assert ok.json()["created"] == 1
    item = (await client.get("/api/v1/facilities/snapshot")).json()["items"][0]
    assert item["external_id"] == "J1"
    assert (item["lon"], item["lat"]) == pytest.approx((106.55, 29.55), abs=1e-6)

"""OGC API – Features under /ogc on SQLite and PostGIS: structure, paging by links, bbox, single items.

Regions are the real Chongqing district boundaries from ../shared/data
(cn-admin-districts/wgs84); facilities are seeded random points.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from shapely.geometry import MultiPolygon, shape

from services.facilities.settings import FacilitiesSettings
from tests.facilities.queries_support import (
    query_app,
    random_facilities,
    seed_facilities,
    seed_regions,
)

OGC = "/ogc"
GEOJSON = "application/geo+json"


def district_rows(shared_data: Path, prefix: str = "50") -> list[dict[str, Any]]:
    """Chongqing's districts as region rows (12-digit codes, WGS84 multipolygons)."""
    path = (
        shared_data
        / "cn-admin-districts"
        / "wgs84"
        / "districts_xiamen_zhangzhou_chongqing_liupanshui.geojson"
    )
    rows = []
    for feature in json.loads(path.read_text())["features"]:
        adcode = feature["properties"]["adcode"]
        if not adcode.startswith(prefix):
            continue
        geom = shape(feature["geometry"])
        geom = geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])
        min_lon, min_lat, max_lon, max_lat = geom.bounds
        code = adcode.ljust(12, "0")
        rows.append(
            {
                "code": code, "code_int": int(code), "name": feature["properties"]["name"], "level": "district",
                "parent_code": "500100000000", "geom": geom, "min_lon": min_lon, "min_lat": min_lat,
                "max_lon": max_lon, "max_lat": max_lat,
            }
        )  # fmt: skip
    return rows


@pytest.fixture
async def seeded(
    facilities_db_url: str, shared_data: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, list[dict[str, Any]], list[dict[str, Any]]]]:
    rows = random_facilities(45, seed=3)
    regions = district_rows(shared_data)
    seed_facilities(facilities_db_url, rows)
    seed_regions(facilities_db_url, regions)
    app = query_app(facilities_db_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, rows, regions


def _rel(body: dict[str, Any], rel: str) -> str | None:
    for link in body["links"]:
        if link["rel"] == rel:
            return str(link["href"])
    return None


async def test_landing_conformance_and_collections(seeded: Any) -> None:
    client, rows, regions = seeded
    landing = await client.get(OGC)
    assert landing.status_code == 200
    assert landing.headers["content-type"].startswith("application/json")
    rels = {link["rel"] for link in landing.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert (await client.get(_rel(landing.json(), "service-desc"))).status_code == 200  # type: ignore[arg-type]

    conformance = (await client.get(_rel(landing.json(), "conformance"))).json()  # type: ignore[arg-type]
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance["conformsTo"]
    )
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in conformance["conformsTo"]
    )

    listing = (await client.get(_rel(landing.json(), "data"))).json()  # type: ignore[arg-type]
    by_id = {c["id"]: c for c in listing["collections"]}
    assert set(by_id) == {"facilities", "regions"}
    bbox = by_id["facilities"]["extent"]["spatial"]["bbox"][0]
    assert bbox == pytest.approx(
        [
            min(r["lon"] for r in rows),
            min(r["lat"] for r in rows),
            max(r["lon"] for r in rows),
            max(r["lat"] for r in rows),
        ]
    )
    union = shapely.union_all([r["geom"] for r in regions]).bounds
    assert by_id["regions"]["extent"]["spatial"]["bbox"][0] == pytest.approx(list(union))
    one = await client.get(f"{OGC}/collections/regions")
    assert one.json()["id"] == "regions"
    assert (
        _rel(
            one.json(),
            "items",
        )
        == by_id["regions"]["links"][1]["href"]
    )


@pytest.mark.parametrize("collection", ["facilities", "regions"])
async def test_next_links_walk_every_feature_once(seeded: Any, collection: str) -> None:
    client, rows, regions = seeded
    known = (
        sorted(r["id"] for r in rows)
        if collection == "facilities"
        else sorted(r["code"] for r in regions)
    )
    url: str | None = f"{OGC}/collections/{collection}/items?limit=10"
    seen: list[Any] = []
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(GEOJSON)
        body = response.json()
        assert body["type"] == "FeatureCollection"
        assert body["numberMatched"] == len(known)
        assert body["numberReturned"] == len(body["features"])
        seen.extend(f["id"] for f in body["features"])
        url = _rel(body, "next")
    assert seen == known


async def test_limit_above_the_maximum_is_clamped(seeded: Any) -> None:
    client, rows, _ = seeded
    body = (await client.get(f"{OGC}/collections/facilities/items", params={"limit": 10**6})).json()
    assert body["numberReturned"] == len(rows)
    assert "limit=10000" in (_rel(body, "self") or "")


async def test_bbox_filters_both_collections(seeded: Any) -> None:
    client, rows, regions = seeded
    box = (106.50, 29.55, 106.60, 29.66)
    params = {"bbox": ",".join(map(str, box)), "limit": 1000}
    facilities = (await client.get(f"{OGC}/collections/facilities/items", params=params)).json()
    known = sorted(
        r["id"] for r in rows if box[0] <= r["lon"] <= box[2] and box[1] <= r["lat"] <= box[3]
    )
    assert [f["id"] for f in facilities["features"]] == known
    regions_page = (await client.get(f"{OGC}/collections/regions/items", params=params)).json()
    # extents overlapping the box (the index test OGC Part 1 allows); 渝北区 and 江北区 surely among them
    known_regions = sorted(
        r["code"] for r in regions
        if r["max_lon"] >= box[0] and r["min_lon"] <= box[2] and r["max_lat"] >= box[1] and r["min_lat"] <= box[3]
    )  # fmt: skip
    assert [f["id"] for f in regions_page["features"]] == known_regions
    assert {"500112000000", "500105000000"} <= set(known_regions)


async def test_single_items_and_errors(seeded: Any) -> None:
    client, rows, regions = seeded
    facility = await client.get(f"{OGC}/collections/facilities/items/{rows[4]['id']}")
    assert facility.status_code == 200
    assert facility.headers["content-type"].startswith(GEOJSON)
    body = facility.json()
    assert body["geometry"] == {"type": "Point", "coordinates": [rows[4]["lon"], rows[4]["lat"]]}
    assert body["properties"]["external_id"] == rows[4]["external_id"]
    assert _rel(body, "collection") is not None
    region = (await client.get(f"{OGC}/collections/regions/items/500112000000")).json()
    assert region["properties"]["name"] == "渝北区"
    expected = next(r["geom"] for r in regions if r["code"] == "500112000000")
    assert shape(region["geometry"]).equals(expected)

    for url, status in [
        (f"{OGC}/collections/hospitals", 404),
        (f"{OGC}/collections/hospitals/items", 404),
        (f"{OGC}/collections/facilities/items/999999", 404),
        (f"{OGC}/collections/facilities/items/abc", 404),
        (f"{OGC}/collections/regions/items/999999999999", 404),
        (f"{OGC}/collections/facilities/items?bbox=1,2,3", 400),
        (f"{OGC}/collections/facilities/items?bbox=5,5,1,1", 400),
        (f"{OGC}/collections/facilities/items?limit=0", 422),
        (f"{OGC}/collections/facilities/items?offset=-1", 422),
    ]:
        response = await client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_links_ignore_forwarded_headers_unless_trusted(seeded: Any) -> None:
    """Any caller may send X-Forwarded-Host: by default links name the address the request
    came to, never the one a header claims (issue 13, item 10)."""
    client, _, _ = seeded
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    landing = (await client.get(OGC, headers=headers)).json()
    assert _rel(landing, "data") == "http://test/ogc/collections"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"trust_forwarded_headers": True}, "https://care.example.cn/carecircle/ogc/collections"),
        ({"public_url": "https://pub.example.cn/cc/"}, "https://pub.example.cn/cc/ogc/collections"),
        (
            {"public_url": "https://pub.example.cn", "trust_forwarded_headers": True},
            "https://pub.example.cn/ogc/collections",
        ),
    ],
)
async def test_links_follow_the_public_url_or_trusted_forwarded_headers(
    facilities_db_url: str, settings: dict[str, Any], expected: str
) -> None:
    from services.facilities.app import create_app

    app = create_app(FacilitiesSettings(database_url=facilities_db_url, **settings))
    headers = {
        "X-Forwarded-Host": "care.example.cn",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/carecircle",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            landing = (await client.get(OGC, headers=headers)).json()
            assert _rel(landing, "data") == expected
            body = (
                await client.get(f"{OGC}/collections/facilities/items?limit=5", headers=headers)
            ).json()
            assert all(
                link["href"].startswith(expected[: -len("/ogc/collections")])
                for link in body["links"]
            )

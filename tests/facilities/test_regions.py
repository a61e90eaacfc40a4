"""Regions: code hierarchy (pure), import, point → region against a brute-force shapely oracle, real CN data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from services.common.geo import haversine_m
from services.facilities.cn_regions import build_cn_regions
from services.facilities.regions import assign_regions, level_of_code, parent_of_code
from services.facilities.schemas import pad_region_code
from tests.facilities.conftest import DATA


def test_code_levels_and_parents() -> None:
    known = {
        "500000000000": ("province", None),
        "500100000000": ("city", "500000000000"),
        "500112000000": ("district", "500100000000"),
        "500112001000": ("street", "500112000000"),
        "500112001002": ("community", "500112001000"),
    }
    observed = {code: (level_of_code(code), parent_of_code(code)) for code in known}
    assert observed == known
    assert pad_region_code("500112") == "500112000000"
    with pytest.raises(ValueError, match="6, 9 or 12 digits"):
        pad_region_code("5001")


def small_features() -> list[dict[str, Any]]:
    return json.loads((DATA / "regions_small.geojson").read_text())["features"]


def brute_force_deepest(lon: float, lat: float, features: list[dict[str, Any]]) -> str | None:
    order = {"province": 0, "city": 1, "district": 2, "street": 3, "community": 4}
    hits = [
        f["properties"] for f in features if shape(f["geometry"]).covers(shapely.Point(lon, lat))
    ]
    return max(hits, key=lambda p: order[p["level"]])["code"] if hits else None


def test_assign_regions_matches_brute_force() -> None:
    features = small_features()
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(106.4, 107.0, 500), rng.uniform(29.4, 29.8, 500)
    regions = [
        (f["properties"]["code"], f["properties"]["level"], shape(f["geometry"])) for f in features
    ]
    observed = assign_regions(lon, lat, regions)
    known = [brute_force_deepest(x, y, features) for x, y in zip(lon, lat, strict=True)]
    assert observed == known


@pytest.mark.asyncio
async def test_lookup_matches_brute_force(
    client: httpx.AsyncClient, small_regions: dict[str, Any]
) -> None:
    features = small_features()
    rng = np.random.default_rng(11)
    for lon, lat in zip(
        rng.uniform(106.45, 106.95, 25), rng.uniform(29.45, 29.75, 25), strict=True
    ):
        known = brute_force_deepest(lon, lat, features)
        response = await client.get("/api/v1/regions/lookup", params={"lon": lon, "lat": lat})
        if known is None:
            assert response.status_code == 404
        else:
            assert response.json()["code"] == known


@pytest.mark.asyncio
async def test_children_descendants_and_paging(
    client: httpx.AsyncClient, small_regions: dict[str, Any]
) -> None:
    assert small_regions["created"] == 6
    children = (await client.get("/api/v1/regions/500100000000/children")).json()["items"]
    assert [c["code"] for c in children] == ["500105000000", "500112000000"]
    descendants = (await client.get("/api/v1/regions/500000000000/descendants")).json()["items"]
    assert [d["code"] for d in descendants] == [
        "500100000000",
        "500105000000",
        "500112000000",
        "500112001000",
    ]
    within = (
        await client.get("/api/v1/regions", params={"within": "500000000000", "level": "district"})
    ).json()
    assert [d["code"] for d in within["items"]] == ["500105000000", "500112000000"]
    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                "/api/v1/regions", params={"limit": 4, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        seen += [r["code"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(f["properties"]["code"] for f in small_features())
    one = (await client.get("/api/v1/regions/500112000000", params={"geometry": "true"})).json()
    assert one["elderly_60plus"] == 400 and one["households"] == 800
    assert shape(one["geometry"]).equals(shape(small_features()[2]["geometry"]))
    assert "geometry" not in (await client.get("/api/v1/regions/500112000000")).json()
    assert (await client.get("/api/v1/regions/123456000000")).status_code == 404


@pytest.mark.asyncio
async def test_bad_regions_are_refused_whole(client: httpx.AsyncClient) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"code": "500112", "name": "x", "level": "city"},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {
                "code": "500105000000",
                "name": "y",
                "level": "district",
                "parent_code": "509900000000",
            },
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {"code": "500101000000", "name": "z", "level": "district"},
            "geometry": {"type": "Point", "coordinates": [1, 2]},
        },
    ]
    response = await client.post(
        "/api/v1/regions/import", json={"type": "FeatureCollection", "features": features}
    )
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json()["errors"]} == {
        (1, "level"),
        (2, "parent_code"),
        (3, "geometry"),
    }
    assert (await client.get("/api/v1/regions")).json()["items"] == []


def census_by_code(shared_data: Path) -> dict[str, dict[str, str]]:
    path = shared_data / "cn-census2020-county" / "census2020_county_target_cities.csv"
    with path.open(encoding="utf-8-sig") as handle:
        return {row["区划代码"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def cn_wgs84(shared_data: Path) -> dict[str, Any]:
    base = shared_data / "cn-admin-districts" / "wgs84"
    return build_cn_regions(
        [
            base / "districts_xiamen_zhangzhou_chongqing_liupanshui.geojson",
            base / "cities_xiamen_zhangzhou_chongqing_liupanshui.geojson",
        ],
        shared_data / "cn-census2020-county" / "census2020_county_target_cities.csv",
    )


def test_cn_build_keeps_census_figures_and_hierarchy(
    cn_wgs84: dict[str, Any], shared_data: Path
) -> None:
    census = census_by_code(shared_data)
    props = {f["properties"]["code"]: f["properties"] for f in cn_wgs84["features"]}
    levels = [p["level"] for p in props.values()]
    assert (levels.count("district"), levels.count("city"), levels.count("province")) == (59, 5, 3)
    yubei = props["500112000000"]
    assert (yubei["population"], yubei["elderly_60plus"], yubei["households"]) == (
        int(census["500112"]["人口数_合计"]),
        round(float(census["500112"]["pop_60plus"])),
        int(census["500112"]["家庭户数"]),
    )
    assert (
        yubei["parent_code"] == "500100000000"
        and props["500100000000"]["parent_code"] == "500000000000"
    )
    # Chongqing's municipality is the union of its districts, figures the sum of its two "cities".
    chongqing = props["500000000000"]
    assert chongqing["population"] == int(census["500100"]["人口数_合计"]) + int(
        census["500200"]["人口数_合计"]
    )
    geoms = {
        f["properties"]["code"]: shape(f["geometry"]) for f in cn_wgs84["features"] if f["geometry"]
    }
    districts = shapely.union_all(
        [g for c, g in geoms.items() if c.startswith("50") and c[4:6] != "00"]
    )
    assert geoms["500000000000"].symmetric_difference(districts).area < 1e-9


@pytest.mark.asyncio
async def test_real_districts_load_and_answer_lookups(
    client: httpx.AsyncClient, cn_wgs84: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/regions/import", json=cn_wgs84)
    assert response.status_code == 200, response.text[:500]
    features = [
        f for f in cn_wgs84["features"] if f["geometry"] and f["properties"]["level"] == "district"
    ]
    for feature in features[::6]:
        point = shape(feature["geometry"]).representative_point()
        found = (
            await client.get("/api/v1/regions/lookup", params={"lon": point.x, "lat": point.y})
        ).json()
        assert found["code"] == feature["properties"]["code"]
    children = (await client.get("/api/v1/regions/350200000000/children")).json()["items"]
    assert len(children) == 6  # Xiamen's six districts


def test_gcj02_boundaries_convert_onto_the_wgs84_ones(
    shared_data: Path, cn_wgs84: dict[str, Any]
) -> None:
    folder = shared_data / "cn-admin-districts" / "gcj02"
    converted = build_cn_regions([folder], None, crs="gcj02")
    raw = build_cn_regions([folder], None, crs="wgs84")  # the GCJ-02 numbers taken as if WGS84

    def geoms(collection: dict[str, Any]) -> dict[str, Any]:
        return {
            f["properties"]["code"]: shape(f["geometry"])
            for f in collection["features"]
            if f["geometry"]
        }

    wgs, conv, unconv = geoms(cn_wgs84), geoms(converted), geoms(raw)
    districts = [c for c in conv if c in wgs and level_of_code(c) == "district"]
    assert len(districts) >= 15
    for code in districts:

        def iou(a: Any, b: Any) -> float:
            return float(a.intersection(b).area / a.union(b).area)

        # Two independent sources never match exactly, but converting must bring them closer.
        assert iou(conv[code], wgs[code]) > iou(unconv[code], wgs[code]), code
        a, b, c = conv[code].centroid, unconv[code].centroid, wgs[code].centroid
        assert float(haversine_m(a.x, a.y, c.x, c.y)) < float(haversine_m(b.x, b.y, c.x, c.y)), code


@pytest.mark.asyncio
async def test_regions_from_csv_with_wkt_and_dry_run(client: httpx.AsyncClient) -> None:
    text = (
        "code,name,level,parent_code,population,elderly_60plus,wkt\n"
        '350200,厦门市,city,,5163970,493579,"POLYGON ((118 24.4, 118.2 24.4, 118.2 24.6, 118 24.6, 118 24.4))"\n'
        "350203,思明区,district,350200,1073315,159577,\n"
    )
    headers = {"Content-Type": "text/csv"}
    dry = await client.post(
        "/api/v1/regions/import", content=text.encode(), headers=headers, params={"dry_run": "true"}
    )
    assert (
        dry.json()["created"] == 2 and (await client.get("/api/v1/regions")).json()["items"] == []
    )
    done = await client.post("/api/v1/regions/import", content=text.encode(), headers=headers)
    assert done.json()["created"] == 2
    siming = (await client.get("/api/v1/regions/350203000000")).json()
    assert siming["parent_code"] == "350200000000" and siming["elderly_60plus"] == 159577
    found = (await client.get("/api/v1/regions/lookup", params={"lon": 118.1, "lat": 24.5})).json()
    assert (
        found["code"] == "350200000000"
    )  # Siming has no boundary here, so the city is the deepest
    again = await client.post("/api/v1/regions/import", content=text.encode(), headers=headers)
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)

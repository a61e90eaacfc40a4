"""Bad input is a 422 naming the field on both engines, never a 500 (issue 13, items 1, 8 and 9)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.common.errors import InvalidInput
from services.facilities.bulk import RowErrors
from services.facilities.region_population import parse_population_rows
from tests.facilities.conftest import station

HUGE = "99999999999999999999999"  # above 2**63: no integer column holds it
ABOVE_2_64 = 2**64 + 1


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json()["errors"]]


async def test_ids_above_the_column_range_are_422_naming_the_path_field(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/v1/facilities", json=station())
    assert created.status_code == 201, created.text
    for method, path, body in (
        ("GET", f"/api/v1/facilities/{HUGE}", None),
        ("GET", f"/api/v1/facilities/{2**31}", None),
        ("GET", f"/api/v1/facilities/{HUGE}/history", None),
        ("PATCH", f"/api/v1/facilities/{HUGE}", {"capacity": 3}),
        ("PUT", f"/api/v1/facilities/{HUGE}", station()),
        ("DELETE", f"/api/v1/facilities/{HUGE}", None),
    ):
        r = await client.request(method, path, json=body, headers={"If-Match": '"1"'})
        assert fields(r) == ["path.facility_id"], (method, path)
    # The OGC item route takes a string id: a huge one names no feature.
    r = await client.get(f"/ogc/collections/facilities/items/{HUGE}")
    assert r.status_code == 404, r.text
    r = await client.get("/ogc/collections/facilities/items/²")
    assert r.status_code == 404, r.text
    r = await client.get("/ogc/collections/facilities/items", params={"offset": HUGE})
    assert fields(r) == ["query.offset"]


async def test_body_integers_past_the_column_range_are_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/facilities", json=station(capacity=ABOVE_2_64))
    assert fields(r) == ["body.capacity"]
    r = await client.post("/api/v1/facilities", json=station(center_id=int(HUGE)))
    assert fields(r) == ["body.center_id"]
    created = (await client.post("/api/v1/facilities", json=station())).json()
    r = await client.patch(
        f"/api/v1/facilities/{created['id']}",
        json={"capacity": 2**31},
        headers={"If-Match": '"1"'},
    )
    assert fields(r) == ["body.capacity"]
    assert (await client.get(f"/api/v1/facilities/{created['id']}")).json()["capacity"] is None


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/facilities", {"q": "\x00"}),
        ("/api/v1/facilities", {"external_id": "a\x00b"}),
        ("/api/v1/facilities", {"source": "\x1b[31m"}),
        ("/api/v1/facilities/nearby", {"lon": "106.5", "lat": "29.5", "q": "\x00"}),
        ("/api/v1/facilities/snapshot", {"type": "\x00"}),
        ("/ogc/collections/facilities/items", {"q": "\x00"}),
    ],
)
async def test_nul_and_control_characters_in_the_query_are_422(
    client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    r = await client.get(path, params=params)
    name = next(k for k, v in params.items() if any(ord(c) < 32 for c in v))
    assert fields(r) == [f"query.{name}"], r.text


async def test_nul_in_a_path_parameter_is_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/ogc/collections/facilities/items/1%00")
    assert fields(r) == ["path.feature_id"]


@pytest.mark.parametrize("name", ["name", "address", "operator", "external_id", "source", "phone"])
async def test_text_with_nul_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, name: str
) -> None:
    r = await client.post("/api/v1/facilities", json=station(**{name: "站\x00点"}))
    assert fields(r) == [f"body.{name}"]
    assert (await client.get("/api/v1/facilities/snapshot")).json()["items"] == []


async def test_patch_with_nul_or_a_control_character_is_refused(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/v1/facilities", json=station())).json()
    url = f"/api/v1/facilities/{created['id']}"
    for body in ({"name": "a\x00"}, {"address": "b\x07"}, {"operator": "\x7f"}):
        r = await client.patch(url, json=body, headers={"If-Match": '"1"'})
        assert fields(r) == [f"body.{next(iter(body))}"], body
    after = (await client.get(url)).json()
    assert after["version"] == 1 and after["name"] == station()["name"]


async def test_tabs_and_newlines_stay_allowed(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/facilities", json=station(address="一楼\n二号\t门"))
    assert r.status_code == 201, r.text
    assert r.json()["address"] == "一楼\n二号\t门"


def _region_feature(**properties: Any) -> dict[str, Any]:
    ring = [[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6], [106.5, 29.5]]
    return {
        "type": "Feature",
        "properties": {"code": "500112000000", "name": "渝北区", "level": "district", **properties},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


async def test_region_import_refuses_huge_counts_and_nul_names_also_in_a_dry_run(
    client: httpx.AsyncClient,
) -> None:
    for properties in ({"population": ABOVE_2_64}, {"elderly_60plus": 2**31}, {"name": "渝\x00北"}):
        doc = {"type": "FeatureCollection", "features": [_region_feature(**properties)]}
        for dry_run in ("true", "false"):
            r = await client.post(
                "/api/v1/regions/import",
                json=doc,
                params={"dry_run": dry_run},
                headers={"Content-Type": "application/geo+json"},
            )
            assert r.status_code == 422, (properties, dry_run, r.text)
            assert r.json()["errors"][0]["field"] == next(iter(properties)), r.text
    assert (await client.get("/api/v1/regions")).json()["items"] == []


BIG_CELL = "长" * (128 * 1024 + 1)


async def post_csv(client: httpx.AsyncClient, text: str | bytes, **params: str) -> httpx.Response:
    body = text.encode() if isinstance(text, str) else text
    return await client.post(
        "/api/v1/facilities/import",
        content=body,
        params=params,
        headers={"Content-Type": "text/csv"},
    )


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"name": BIG_CELL}, "name"),
        ({"address": BIG_CELL}, "address"),
        ({"capacity": str(2**63 + 1)}, "capacity"),
        ({"capacity": str(2**31)}, "capacity"),
        ({"center_id": "99999999999999999999999"}, "center_id"),
        ({"name": "站\x00"}, "name"),
    ],
)
async def test_csv_import_names_row_and_column_and_a_dry_run_fails_the_same(
    client: httpx.AsyncClient, row: dict[str, str], field: str
) -> None:
    cells = {
        "external_id": "X1",
        "name": "站",
        "type": "day_care",
        "lon": "106.5",
        "lat": "29.5",
        "address": "",
        "capacity": "",
        "center_id": "",
        **row,
    }
    text = ",".join(cells) + "\n" + ",".join(cells.values()) + "\n"
    for dry_run in ("true", "false"):
        r = await post_csv(client, text, dry_run=dry_run)
        assert r.status_code == 422, (dry_run, r.text[:300])
        error = r.json()["errors"][0]
        assert (error["row"], error["field"]) == (1, field), error
        assert BIG_CELL not in r.text  # the answer names the cell, it does not echo it
    assert (await client.get("/api/v1/facilities/snapshot")).json()["items"] == []


async def test_gb18030_and_bom_files_import_alike(client: httpx.AsyncClient) -> None:
    text = "external_id,name,type,lon,lat\nG1,漳州市芗城区日间照料中心,day_care,117.65,24.51\n"
    for n, body in enumerate((text.encode("gb18030"), b"\xef\xbb\xbf" + text.encode())):
        r = await post_csv(client, body.replace(b"G1", f"G{n}".encode()))
        assert r.status_code == 200, r.text
    names = {f["name"] for f in (await client.get("/api/v1/facilities/snapshot")).json()["items"]}
    assert names == {"漳州市芗城区日间照料中心"}


async def test_region_csv_and_population_csv_refuse_big_cells_and_huge_counts(
    client: httpx.AsyncClient, small_regions: dict[str, object]
) -> None:
    region_csv = "code,name,level\n500112000000," + BIG_CELL + ",district\n"
    r = await client.post(
        "/api/v1/regions/import",
        content=region_csv.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name", r.text[:300]


def test_population_csv_refuses_big_cells_and_huge_counts() -> None:
    code = "500112000000"
    errors = RowErrors()
    parse_population_rows(f"code,source,population\n{code},census,{2**63}\n", errors)
    assert [(e["row"], e["field"]) for e in errors.items] == [(1, "population")]
    with pytest.raises(InvalidInput) as caught:
        parse_population_rows(f"code,source,population\n{code},{BIG_CELL},1\n", RowErrors())
    assert caught.value.extra["errors"][0]["field"] == "source"


@pytest.mark.parametrize(
    "ring",
    [
        [[500, 100], [501, 100], [501, 101], [500, 101], [500, 100]],
        [[106.5, 29.5], [106.6, 29.5], [106.6, 95.0], [106.5, 29.5]],
        [[-181, 0], [-180, 0], [-180, 1], [-181, 0]],
    ],
)
async def test_region_polygons_off_the_globe_are_refused(
    client: httpx.AsyncClient, ring: list[list[float]]
) -> None:
    feature = _region_feature()
    feature["geometry"]["coordinates"] = [ring]
    r = await client.post(
        "/api/v1/regions/import",
        json={"type": "FeatureCollection", "features": [feature]},
        headers={"Content-Type": "application/geo+json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "geometry", r.text
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
    r = await client.post(
        "/api/v1/regions/import",
        content=f'code,name,level,wkt\n500112000000,渝北区,district,"{wkt}"\n'.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "geometry", r.text
    assert (await client.get("/api/v1/regions")).json()["items"] == []


async def test_facility_points_off_the_globe_are_refused(client: httpx.AsyncClient) -> None:
    for lon, lat, field in ((500.0, 29.5, "lon"), (106.5, 100.0, "lat"), (-180.5, 0.0, "lon")):
        r = await client.post("/api/v1/facilities", json=station(lon=lon, lat=lat))
        assert fields(r) == [f"body.{field}"]
        text = f"external_id,name,type,lon,lat\nP1,站,day_care,{lon},{lat}\n"
        r = await post_csv(client, text, dry_run="true")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text

"""GET /api/v1/facilities: search by name, region (with descendants), type/status, bbox, paging, GeoJSON.

Oracle: the same filters applied in Python to the seeded rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.facilities import crs
from services.facilities.normalize import normalize_name
from tests.facilities.queries_support import (
    query_app,
    query_client,
    random_facilities,
    seed_facilities,
)

URL = "/api/v1/facilities"


@pytest.fixture
async def bare(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Validation happens before any query: an unmigrated SQLite file is enough."""
    async with query_client(f"sqlite:///{tmp_path / 'bare.sqlite3'}") as client:
        yield client


@pytest.fixture
async def seeded(
    facilities_db_url: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, list[dict[str, Any]]]]:
    rows = random_facilities(250, seed=11)
    rows[0]["name"] = "渝北区龙溪街道100%互助_养老点"  # LIKE wildcards must match literally
    seed_facilities(facilities_db_url, rows)
    app = query_app(facilities_db_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, rows


async def _ids(client: httpx.AsyncClient, params: dict[str, Any], limit: int = 40) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        response = await client.get(
            URL, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def _name_has(q: str) -> Any:
    """Oracle for ``q``: a substring of the name, or of its normalized key."""
    key = normalize_name(q)
    return lambda r: q in r["name"] or (bool(key) and key in normalize_name(r["name"]))


def _known(rows: list[dict[str, Any]], keep: Any) -> list[int]:
    return sorted(r["id"] for r in rows if keep(r))


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({}, lambda r: True),
        ({"q": "双龙湖"}, _name_has("双龙湖")),
        ({"q": "双龙湖 街道"}, _name_has("双龙湖 街道")),  # spacing ignored via the normalized name
        (
            {"q": "ＳＨＵＡＮＧ"},
            _name_has("ＳＨＵＡＮＧ"),
        ),  # full-width letters: normalized, matches nothing here
        (
            {"q": "日间照料", "status": "active"},
            lambda r: _name_has("日间照料")(r) and r["status"] == "active",
        ),
        ({"q": "100%互助_"}, _name_has("100%互助_")),
        ({"q": "%"}, _name_has("%")),
        ({"type": "day_care,meal_point"}, lambda r: r["type"] in ("day_care", "meal_point")),
        # a district includes its streets (500112001000, 500112002000) but not its neighbour 500113
        ({"region": "500112000000"}, lambda r: (r["region_code"] or "").startswith("500112")),
        (
            {"region": "500112"},
            lambda r: (r["region_code"] or "").startswith("500112"),
        ),  # 6-digit adcode
        ({"region": "500112001000"}, lambda r: r["region_code"] == "500112001000"),
        ({"region": "500000000000"}, lambda r: (r["region_code"] or "").startswith("50")),
        (
            {"bbox": "-180,-90,180,90"},
            lambda r: True,
        ),  # wider than 180°: no index circle, exact box
        (
            {"bbox": "100,0,179,89"},
            lambda r: True,
        ),  # a huge box still uses the covering circle on PostGIS
        ({"bbox": "106.56,29.62,106.56,29.62"}, lambda r: r["lon"] == 106.56 and r["lat"] == 29.62),
        ({"external_id": "T-11-00042"}, lambda r: r["external_id"] == "T-11-00042"),
        ({"source": "osm"}, lambda r: r["source"] == "osm"),
        (
            {"bbox": "106.5,29.58,106.6,29.65"},
            lambda r: 106.5 <= r["lon"] <= 106.6 and 29.58 <= r["lat"] <= 29.65,
        ),
        (
            {"bbox": "106.5,29.58,106.6,29.65", "type": "nursing_home", "status": "active,planned"},
            lambda r: (
                106.5 <= r["lon"] <= 106.6
                and 29.58 <= r["lat"] <= 29.65
                and r["type"] == "nursing_home"
                and r["status"] in ("active", "planned")
            ),
        ),
    ],
)
async def test_filters_and_paging_equal_python_oracle(
    seeded: Any, params: dict[str, Any], keep: Any
) -> None:
    client, rows = seeded
    assert await _ids(client, params) == _known(rows, keep)


async def test_bbox_in_gcj02_selects_the_same_places(seeded: Any) -> None:
    client, rows = seeded
    box = (106.5, 29.58, 106.6, 29.65)
    (x0, x1), (y0, y1) = crs.wgs84_to_gcj02([box[0], box[2]], [box[1], box[3]])
    gcj_box = f"{x0},{y0},{x1},{y1}"
    observed = await _ids(client, {"bbox": gcj_box, "crs": "gcj02"})
    inside = set(
        _known(rows, lambda r: box[0] <= r["lon"] <= box[2] and box[1] <= r["lat"] <= box[3])
    )
    # the box corners move by ~0.5 km; allow the strip along the edges to differ, nothing else
    assert len(set(observed) ^ inside) <= 0.1 * len(inside)
    response = await client.get(URL, params={"bbox": gcj_box, "crs": "gcj02", "limit": 1})
    item = response.json()["items"][0]
    by_id = {r["id"]: r for r in rows}
    expected = crs.point_from_wgs84(by_id[item["id"]]["lon"], by_id[item["id"]]["lat"], "gcj02")
    assert (item["lon"], item["lat"]) == pytest.approx(expected, abs=1e-9)


async def test_facility_json_matches_the_contract(seeded: Any) -> None:
    client, rows = seeded
    response = await client.get(URL, params={"external_id": rows[3]["external_id"]})
    (item,) = response.json()["items"]
    expected_keys = {
        "id", "external_id", "source", "name", "type", "type_label", "services", "operation_mode", "operator",
        "star_rating", "status", "capacity", "opening_hours", "phone", "address", "lon", "lat", "region_code",
        "center_id", "verified_on", "created_at", "updated_at", "version",
    }  # fmt: skip
    assert set(item) == expected_keys
    assert item["services"] == rows[3]["services"]
    assert item["opening_hours"] == rows[3]["opening_hours"]
    assert (item["lon"], item["lat"]) == (rows[3]["lon"], rows[3]["lat"])


async def test_geojson_feature_collection(seeded: Any) -> None:
    client, rows = seeded
    response = await client.get(
        URL, params={"type": "day_care", "limit": 5}, headers={"Accept": "application/geo+json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    known = _known(rows, lambda r: r["type"] == "day_care")[:5]
    assert [f["id"] for f in body["features"]] == known
    by_id = {r["id"]: r for r in rows}
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["coordinates"] == [
            by_id[feature["id"]]["lon"],
            by_id[feature["id"]]["lat"],
        ]
        assert feature["properties"]["type"] == "day_care"
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "10,10,5,20"}, "bbox"),
        ({"region": "50011"}, "region"),
        ({"type": "castle"}, "type"),
        ({"status": "gone"}, "status"),
        ({"cursor": "nope"}, "cursor"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 1000}, "query.limit"),
        ({"crs": "utm"}, "query.crs"),
    ],
)
async def test_bad_input_names_the_field(
    bare: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await bare.get(URL, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}


def test_openapi_documents_every_query_route_with_examples(tmp_path: Any) -> None:
    spec = query_app(f"sqlite:///{tmp_path / 'openapi.sqlite3'}").openapi()
    routes = [(p, op) for p, ops in spec["paths"].items() for m, op in ops.items() if m == "get"]
    assert {p for p, _ in routes} >= {"/api/v1/facilities", "/api/v1/facilities/nearby", "/ogc", "/ogc/conformance",
                                       "/ogc/collections", "/ogc/collections/{collection_id}",
                                       "/ogc/collections/{collection_id}/items",
                                       "/ogc/collections/{collection_id}/items/{feature_id}"}  # fmt: skip
    for path, op in routes:
        if path in ("/healthz", "/readyz", "/metrics"):
            continue
        assert op.get("summary") and op.get("description"), path
        for param in op.get("parameters", []):
            assert "examples" in param or "example" in param or "examples" in param["schema"], (
                path,
                param["name"],
            )
        content = op["responses"]["200"]["content"]
        for media_type, body in content.items():
            documented = "example" in body or "examples" in body or "$ref" in body.get("schema", {})
            assert documented, (path, media_type)

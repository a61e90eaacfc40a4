"""streets.py and GET /api/v1/coverage/streets: each street once, merged end to end, thinned
within the tolerance, in WGS84 — checked against the edges themselves (the oracle)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from services.coverage.graph import build_network
from services.coverage.streets import street_lines, streets_geojson, undirected_edges

EPSG = 32635  # UTM 35N (Helsinki)


def _grid(n: int, step_m: float = 100.0, seed: int = 7) -> tuple:
    """An n×n grid of streets with jittered nodes, some edges dropped, two-way (as walking is)."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(n), np.arange(n))
    x = 380_000 + ix.ravel() * step_m + rng.uniform(-20, 20, n * n)
    y = 6_670_000 + iy.ravel() * step_m + rng.uniform(-20, 20, n * n)
    node = np.arange(n * n).reshape(n, n)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    keep = rng.random(u.size) > 0.15
    u, v = u[keep], v[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return x, y, u, v, length


def test_each_street_once_whatever_its_direction() -> None:
    x, y, u, v, length = _grid(6)
    net = build_network(x, y, u, v, length, epsg=EPSG)
    a, b = undirected_edges(net)
    assert np.all(a < b)
    assert {tuple(p) for p in zip(a.tolist(), b.tolist(), strict=True)} == {
        (min(p), max(p)) for p in zip(u.tolist(), v.tolist(), strict=True)
    }


def test_merged_lines_without_thinning_are_exactly_the_edges() -> None:
    x, y, u, v, length = _grid(8)
    net = build_network(x, y, u, v, length, epsg=EPSG)
    lines = street_lines(net, tolerance_m=0.0)
    edges = [shapely.LineString([(x[i], y[i]), (x[j], y[j])]) for i, j in zip(u, v, strict=True)]
    # Same total length and same drawing: the union of the lines is the union of the edges.
    assert sum(line.length for line in lines) == pytest.approx(sum(e.length for e in edges))
    assert shapely.union_all(lines).symmetric_difference(shapely.union_all(edges)).length < 1e-6
    assert len(lines) < len(edges)  # chained where streets meet end to end


def test_thinning_moves_no_line_further_than_the_tolerance() -> None:
    # A wiggly street: 200 points along a sine, 1 m apart.
    t = np.arange(200.0)
    x, y = 380_000 + t, 6_670_000 + 3.0 * np.sin(t / 7.0)
    u, v = np.arange(199), np.arange(1, 200)
    net = build_network(x, y, u, v, np.hypot(np.diff(x), np.diff(y)), epsg=EPSG)
    exact = shapely.union_all(street_lines(net, tolerance_m=0.0))
    for tolerance in (0.5, 2.0, 10.0):
        thinned = street_lines(net, tolerance_m=tolerance)
        assert shapely.hausdorff_distance(shapely.union_all(thinned), exact) <= tolerance + 1e-6
        assert sum(len(shapely.get_coordinates(line)) for line in thinned) < 200


def test_geojson_is_wgs84_rounded_and_matches_the_nodes() -> None:
    x, y, u, v, length = _grid(4)
    net = build_network(x, y, u, v, length, epsg=EPSG)
    collection = streets_geojson(net, tolerance_m=0.0, digits=6)
    assert collection["type"] == "FeatureCollection"
    lon, lat = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(x, y)
    nodes = {(round(a, 6), round(b, 6)) for a, b in zip(lon, lat, strict=True)}
    drawn = {
        tuple(point)
        for feature in collection["features"]
        for point in feature["geometry"]["coordinates"]
    }
    assert drawn <= nodes  # every vertex is a node of the network (nothing invented)
    used = set(u.tolist()) | set(v.tolist())
    assert len(drawn) == len(used)  # and every node on a street is drawn
    assert all(f["geometry"]["type"] == "LineString" for f in collection["features"])


def test_negative_tolerance_refused() -> None:
    x, y, u, v, length = _grid(3)
    with pytest.raises(ValueError, match="tolerance_m"):
        street_lines(build_network(x, y, u, v, length, epsg=EPSG), tolerance_m=-1.0)


async def test_the_route_answers_geojson_with_an_etag_and_names_bad_input(
    coverage_db_url: str, tiny: dict[str, Path]
) -> None:
    from services.coverage.app import create_app
    from services.coverage.settings import CoverageSettings
    from tests.coverage.conftest import DATA

    app = create_app(
        CoverageSettings(
            database_url=coverage_db_url, facilities_url="http://127.0.0.1:9", import_dir=str(DATA)
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            none_yet = await c.get("/api/v1/coverage/streets")
            assert none_yet.status_code == 404
            assert none_yet.headers["content-type"].startswith("application/problem+json")
            r = await c.post("/api/v1/coverage/networks", json={"path": str(tiny["network"])})
            assert r.status_code == 201, r.text
            answer = await c.get("/api/v1/coverage/streets", params={"tolerance_m": 0})
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "application/geo+json"
            features = answer.json()["features"]
            source = json.loads(tiny["network"].read_text())["features"]
            drawn = sum(f["properties"]["length_m"] for f in features)
            expected = sum(_length_m(f["geometry"]["coordinates"]) for f in source)
            assert drawn == pytest.approx(expected, rel=1e-3)
            again = await c.get(
                "/api/v1/coverage/streets",
                params={"tolerance_m": 0},
                headers={"If-None-Match": answer.headers["etag"]},
            )
            assert again.status_code == 304
            other = await c.get("/api/v1/coverage/streets", params={"tolerance_m": 5})
            assert other.headers["etag"] != answer.headers["etag"]
            for params in ({"tolerance_m": -1}, {"network": 0}, {"network": "x"}):
                bad = await c.get("/api/v1/coverage/streets", params=params)
                assert bad.status_code == 422, params
                assert next(iter(params)) in bad.text
            unknown = await c.get("/api/v1/coverage/streets", params={"network": 99})
            assert unknown.status_code == 422 and "network" in unknown.text


def _length_m(coordinates: list[list[float]]) -> float:
    """Great-circle length of a WGS84 line (the oracle: pyproj's geodesic, not our projection)."""
    from pyproj import Geod

    lon, lat = zip(*coordinates, strict=True)
    return float(Geod(ellps="WGS84").line_length(lon, lat))

"""isochrones.py: nesting, holes, partial edges, batch with a bad station."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from services.coverage.graph import build_network
from services.coverage.isochrones import isochrone_batch, station_isochrones


def grid(side: int, step: float = 100.0):  # type: ignore[no-untyped-def]
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    x, y = ii.ravel() * step, jj.ravel() * step
    return build_network(x.astype(float), y.astype(float), u, v, np.full(u.size, step), epsg=32650)


def test_nested_and_partial_edge_cut() -> None:
    net = grid(7)
    centre = 3 * 7 + 3
    polys = station_isochrones(net, centre, 0.0, [2.5, 5, 10], 1.0, buffer_m=10)
    assert polys[2.5].within(polys[5].buffer(1e-6)) and polys[5].within(polys[10].buffer(1e-6))
    # 150 m budget: reaches 1.5 blocks along each street from (300, 300); not (300, 460)
    assert polys[2.5].contains(shapely.Point(300, 445))
    assert not polys[2.5].contains(shapely.Point(300, 465))


def test_holes_kept_where_nothing_is_reachable() -> None:
    net = grid(5)
    polys = station_isochrones(net, 12, 0.0, [15], 1.0, buffer_m=10)
    # every street of the 400 m grid is within 900 m of the centre; block interiors are holes
    assert len(polys[15].interiors) == 16


def test_batch_one_bad_station_still_returns_the_others() -> None:
    net = grid(3)
    res = isochrone_batch(
        net,
        [
            {"id": "ok", "node": 4, "access_m": 0.0},
            {"id": "bad", "error": "5 km off the network"},
            {"id": "worse", "node": 999, "access_m": 0.0},
        ],
        [5.0],
        1.0,
        lambda x, y: (x, y),
    )
    assert [r["status"] for r in res] == ["ok", "error", "error"]
    assert res[0]["contours"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_bad_minutes() -> None:
    with pytest.raises(ValueError):
        station_isochrones(grid(2), 0, 0.0, [0.0], 1.0)

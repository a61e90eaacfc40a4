"""isochrones.py: nesting, holes, partial edges, batch with a bad station."""

from __future__ import annotations

import heapq
import math

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


# --- the polygon against an obviously-right oracle -----------------------------------------


def heap_dijkstra(n: int, edges: list[tuple[int, int, float]], source: int) -> list[float]:
    """Textbook Dijkstra on an undirected edge list (the oracle's own, no scipy)."""
    adj: dict[int, list[tuple[int, float]]] = {i: [] for i in range(n)}
    for u, v, w in edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    dist = [math.inf] * n
    dist[source] = 0.0
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            if d + w < dist[v]:
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


def random_streets(seed: int):  # type: ignore[no-untyped-def]
    """Random points joined to their 3 nearest neighbours by straight streets (meters)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 30))
    xy = rng.uniform(0, 600, size=(n, 2))
    pairs = set()
    for i in range(n):
        d = np.hypot(*(xy - xy[i]).T)
        for j in np.argsort(d)[1:4]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    u = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    length = np.hypot(*(xy[u] - xy[v]).T)
    net = build_network(xy[:, 0], xy[:, 1], u, v, length, epsg=32650)
    return net, xy, list(zip(u.tolist(), v.tolist(), length.tolist(), strict=True)), rng


@pytest.mark.parametrize("seed", range(12))
def test_polygon_is_exactly_the_reachable_street_points_buffered(seed: int) -> None:
    """Every street point within the budget is inside; every polygon point is within the
    buffer width of a street point within the budget, so points beyond are outside."""
    net, xy, edges, rng = random_streets(seed)
    node = int(rng.integers(0, net.n_nodes))
    access_m, buffer_m, minutes = float(rng.uniform(0, 30)), 20.0, [2.0, 4.0]
    polys = station_isochrones(net, node, access_m, minutes, 1.0, buffer_m=buffer_m)
    dist = heap_dijkstra(net.n_nodes, edges, node)
    step = 2.0
    samples, at = [], []  # street points every `step` meters and their walking distances
    for a, b, length in edges:
        s = np.append(np.arange(0.0, length, step), length)
        at.append(np.minimum(dist[a] + s, dist[b] + length - s))
        samples.append(xy[a] + np.outer(s / length, xy[b] - xy[a]))
    points, walk = np.concatenate(samples), np.concatenate(at)
    for m in minutes:
        budget = m * 60 - access_m
        reached = np.vstack([points[walk <= budget], xy[node]])
        beyond = points[walk > budget]
        poly = polys[m]
        shapely.prepare(poly)
        # 1. every street point walkable within the budget is inside the polygon
        assert shapely.distance(poly, shapely.points(reached)).max() < 1e-6
        # 2. the polygon reaches no farther than the buffer from a reachable street point
        #    (the sampling step as tolerance): its boundary, densified, and random probes
        tree = shapely.STRtree(shapely.points(reached))
        edge_pts = shapely.get_coordinates(shapely.segmentize(poly.boundary, step))
        probes = rng.uniform(-buffer_m, 600 + buffer_m, size=(4000, 2))
        _, to_street = tree.query_nearest(
            shapely.points(probes), return_distance=True, all_matches=False
        )
        inside = shapely.contains_xy(poly, probes[:, 0], probes[:, 1])
        assert to_street[inside].max(initial=0.0) <= buffer_m + step
        if len(edge_pts):
            _, near = tree.query_nearest(
                shapely.points(edge_pts), return_distance=True, all_matches=False
            )
            assert near.max() <= buffer_m + step
        # ... and covers the whole buffer width (less the round ends' chords, 0.1 m here)
        assert inside[to_street < buffer_m - 0.5].all()
        # 3. so a street point past the budget, farther than that from every reachable one,
        #    is outside
        _, gap = tree.query_nearest(shapely.points(beyond), return_distance=True, all_matches=False)
        far = beyond[gap > buffer_m + step]
        assert not shapely.contains(poly, shapely.points(far)).any()
    assert polys[2.0].difference(polys[4.0]).area < 1e-9  # nested


def test_driving_network_cuts_by_time() -> None:
    """Per-edge speeds: 10 m/s for 60 s reaches 600 m of a 1 km street, not 60 m."""
    x = np.array([0.0, 1000.0])
    net = build_network(
        x,
        np.zeros(2),
        np.array([0]),
        np.array([1]),
        np.array([1000.0]),
        epsg=32650,
        speed_mps=np.array([10.0]),
        kind="drive",
    )
    poly = station_isochrones(net, 0, 0.0, [1.0], 1.0, buffer_m=5)[1.0]
    assert poly.contains(shapely.Point(590, 0)) and not poly.contains(shapely.Point(620, 0))

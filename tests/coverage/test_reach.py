"""reach.py against hand-worked graphs and a per-station networkx Dijkstra oracle."""

from __future__ import annotations

import heapq

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.coverage.graph import DRIVE, build_network
from services.coverage.reach import demand_minutes, nearest_station


def line_net(lengths: list[float], **kw: object):
    n = len(lengths) + 1
    return build_network(
        np.arange(n, dtype=float),
        np.zeros(n),
        np.arange(n - 1),
        np.arange(1, n),
        np.array(lengths),
        epsg=32633,
        **kw,
    )


def test_hand_drawn_path_two_stations() -> None:
    # 0 -1- 1 -2- 2 -3- 3 ; station A at node 0 (on it), B 0.5 m off node 3
    net = line_net([1.0, 2.0, 3.0])
    r = nearest_station(net, np.array([0, 3]), np.array([0.0, 0.5]))
    known_cost = [0.0, 1.0, 3.0, 0.5]
    known_station = [0, 0, 0, 1]
    assert r.cost.tolist() == known_cost
    assert r.station.tolist() == known_station


def test_hand_drawn_square_with_shortcut() -> None:
    # square 0-1-2-3-0 of 100 m sides plus a 120 m diagonal 0-2; station at 0
    net = build_network(
        np.array([0.0, 100, 100, 0]),
        np.array([0.0, 0, 100, 100]),
        np.array([0, 1, 2, 3, 0]),
        np.array([1, 2, 3, 0, 2]),
        np.array([100.0, 100, 100, 100, 120]),
        epsg=32633,
    )
    r = nearest_station(net, np.array([0]), np.array([10.0]))
    assert r.cost.tolist() == [10.0, 110.0, 130.0, 110.0]


def test_limit_cuts_far_nodes_to_inf() -> None:
    net = line_net([1.0, 2.0, 3.0])
    r = nearest_station(net, np.array([0]), np.array([0.0]), limit=3.0)
    assert r.cost[:3].tolist() == [0.0, 1.0, 3.0]
    assert np.isinf(r.cost[3]) and r.station[3] == -1


def test_disconnected_node_is_unreachable() -> None:
    net = build_network(np.arange(4.0), np.zeros(4), [0, 2], [1, 3], [5.0, 5.0], epsg=32633)
    r = nearest_station(net, np.array([0]), np.array([0.0]))
    mins, st_ = demand_minutes(r, np.array([1, 3]), np.array([1.0, 1.0]), 1.0)
    assert mins[0] == pytest.approx(6.0 / 60)
    assert np.isnan(mins[1]) and st_[1] == -1


def test_driving_oneway_measures_travel_to_the_station() -> None:
    # 0 -> 1 oneway 100 m at 10 m/s; the station is at node 1
    net = build_network(
        np.array([0.0, 100]),
        np.zeros(2),
        [0],
        [1],
        [100.0],
        epsg=32633,
        oneway=np.array([True]),
        speed_mps=np.array([10.0]),
        kind=DRIVE,
    )
    to_1 = nearest_station(net, np.array([1]), np.array([0.0]))
    assert to_1.cost.tolist() == [10.0, 0.0]  # from 0 you can drive to 1
    to_0 = nearest_station(net, np.array([0]), np.array([0.0]))
    assert np.isinf(to_0.cost[1])  # from 1 you cannot drive back against the oneway


def oracle_heap(g: nx.DiGraph, stations: list[int], access: list[float]) -> dict[int, float]:
    """Textbook multi-source Dijkstra seeded with the access legs (obviously right)."""
    best: dict[int, float] = {}
    heap = [(a, s) for s, a in zip(stations, access, strict=True)]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if u in best:
            continue
        best[u] = d
        for v in g.predecessors(u):  # travel v -> u, searched backwards
            if v not in best:
                heapq.heappush(heap, (d + g[v][u]["weight"], v))
    return best


def random_case(seed: int, n: int, m: int, k: int, integer: bool):
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.integers(1, 50, m).astype(float) if integer else rng.uniform(0.1, 50, m)
    oneway = rng.random(m) < 0.3
    speed = np.ones(m)
    net = build_network(
        rng.uniform(0, 100, n),
        rng.uniform(0, 100, n),
        u,
        v,
        w,
        epsg=32633,
        oneway=oneway,
        speed_mps=speed,
        kind=DRIVE,
    )
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    src = net.edge_sources()
    for a, b, c in zip(src, net.indices, net.length_m, strict=True):
        g.add_edge(int(a), int(b), weight=float(c))
    stations = rng.choice(n, k, replace=False)
    access = rng.integers(0, 5, k).astype(float) if integer else rng.uniform(0, 5, k)
    return net, g, stations, access


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_equal_per_station_networkx(seed: int) -> None:
    """Integer weights: every sum is exact in float64, so equality is exact."""
    net, g, stations, access = random_case(seed, n=40, m=90, k=4, integer=True)
    observed = nearest_station(net, stations, access)
    rev = g.reverse()
    known = np.full(net.n_nodes, np.inf)
    for s, a in zip(stations, access, strict=True):
        for node, d in nx.single_source_dijkstra_path_length(rev, int(s)).items():
            known[node] = min(known[node], a + d)
    assert observed.cost.tolist() == known.tolist()
    # the reported station attains the minimum (ties may pick either)
    for node in np.flatnonzero(np.isfinite(known)):
        s = observed.station[node]
        d = nx.dijkstra_path_length(rev, int(stations[s]), int(node))
        assert access[s] + d == known[node]


@pytest.mark.parametrize("seed", range(10))
def test_random_real_weights_equal_heap_oracle(seed: int) -> None:
    """Real weights: the textbook oracle adds in the same order, so still bit-equal."""
    net, g, stations, access = random_case(seed + 100, n=60, m=150, k=5, integer=False)
    observed = nearest_station(net, stations, access)
    best = oracle_heap(g, stations.tolist(), access.tolist())
    known = np.array([best.get(i, np.inf) for i in range(net.n_nodes)])
    assert observed.cost.tolist() == known.tolist()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    minutes=st.floats(0.01, 2.0),
    extra_minutes=st.floats(0.0, 2.0),
)
def test_more_minutes_or_more_stations_never_lower_coverage(
    seed: int, minutes: float, extra_minutes: float
) -> None:
    net, _g, stations, access = random_case(seed, n=30, m=60, k=4, integer=False)
    nodes = np.arange(net.n_nodes)
    zero = np.zeros(net.n_nodes)

    def covered(st_idx: np.ndarray, limit_min: float) -> int:
        r = nearest_station(net, stations[st_idx], access[st_idx])
        mins, _ = demand_minutes(r, nodes, zero, 1.0)
        return int((np.nan_to_num(mins, nan=np.inf) <= limit_min).sum())

    few, all_ = np.arange(2), np.arange(4)
    assert covered(few, minutes) <= covered(few, minutes + extra_minutes)
    assert covered(few, minutes) <= covered(all_, minutes)


def test_snapping_large_batches_equals_brute_force() -> None:
    """The spatially sorted query path (over 10,000 points) against brute force."""
    from services.coverage.snapping import NodeIndex

    rng = np.random.default_rng(5)
    nodes = rng.uniform(0, 5000, (300, 2))
    pts = rng.uniform(-200, 5200, (12_000, 2))
    snap = NodeIndex(nodes[:, 0], nodes[:, 1]).snap(pts[:, 0], pts[:, 1], 150.0)
    d = np.hypot(pts[:, None, 0] - nodes[None, :, 0], pts[:, None, 1] - nodes[None, :, 1])
    known = d.min(axis=1)
    # hypot and the tree's sqrt(dx² + dy²) may differ in the last bit
    np.testing.assert_allclose(snap.access_m, known, rtol=1e-12)
    np.testing.assert_allclose(d[np.arange(len(pts)), snap.node], known, rtol=1e-12)
    assert np.array_equal(snap.too_far, snap.access_m > 150.0)

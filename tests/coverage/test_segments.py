"""Street-segment snapping and minutes (snapping.SegmentIndex, reach.segment_minutes):
hand-worked streets, then random street graphs against the brute-force oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.coverage.graph import DRIVE, build_network
from services.coverage.reach import (
    nearest_station_on_segments,
    search_cost,
    segment_minutes,
    street_segments,
)
from services.coverage.snapping import SegmentIndex
from tests.coverage.segment_oracle import nearest_on_segments, oracle_minutes


def minutes_of(net, stations, homes, speed=1.0, max_snap_m=500.0):  # type: ignore[no-untyped-def]
    """Our whole segment path: index, snap both sets, one search, minutes."""
    index = SegmentIndex(net.x, net.y, street_segments(net))
    sx, sy = np.array(stations, dtype=float).reshape(-1, 2).T
    hx, hy = np.array(homes, dtype=float).reshape(-1, 2).T
    s = index.snap(sx, sy, max_snap_m)
    h = index.snap(hx, hy, max_snap_m)
    use = ~s.too_far
    seg, t, acc = s.segment[use], s.t[use], s.access_m[use]
    reach = nearest_station_on_segments(net, index.segments, seg, t, acc, access_speed_mps=speed)
    acc_cost = acc if net.speed_mps is None else acc / speed
    return segment_minutes(
        reach, index.segments, h.segment, h.t, h.access_m, speed, (seg, t, acc_cost), ~h.too_far
    )


def straight(n: int = 2, step: float = 100.0, **kw: object):  # type: ignore[no-untyped-def]
    """Nodes 0..n-1 on the x axis, ``step`` m apart, joined in order."""
    return build_network(
        np.arange(n) * step,
        np.zeros(n),
        np.arange(n - 1),
        np.arange(1, n),
        np.full(n - 1, step),
        epsg=32650,
        **kw,
    )


def test_home_and_station_on_one_long_street() -> None:
    # a 100 m street, station at x=50 (3 m off), homes at x=70 (10 m off) and x=-5 (4 m off)
    net = straight()
    mins, st = minutes_of(net, [(50, 3)], [(70, -10), (-5, 4)])
    known_m = [10 + 20 + 3, math.hypot(5, 4) + 50 + 3]  # straight along; past the end to node 0
    assert mins.tolist() == pytest.approx([m / 60 for m in known_m], rel=1e-12)
    assert st.tolist() == [0, 0]


def test_nearest_segment_not_nearest_node() -> None:
    # a long street 0-1 (x 0..200) and a short spur 2-3 above it; the home at (100, 30) is
    # 30 m from the street's middle (104 m from its nodes) and 40 m from the spur's end
    net = build_network(
        np.array([0.0, 200, 100, 100]),
        np.array([0.0, 0, 70, 100]),
        np.array([0, 2]),
        np.array([1, 3]),
        np.array([200.0, 30.0]),
        epsg=32650,
    )
    index = SegmentIndex(net.x, net.y, street_segments(net))
    snap = index.snap(np.array([100.0]), np.array([30.0]))
    assert snap.access_m[0] == pytest.approx(30.0)
    assert (index.segments.a[snap.segment[0]], index.segments.b[snap.segment[0]]) == (0, 1)
    assert snap.t[0] == pytest.approx(0.5)


def test_oneway_street_is_driven_one_way_only() -> None:
    # driving, one street 0 -> 1 (oneway, 100 m at 10 m/s): a car at x=70 cannot drive back
    # to the station at x=30 on the same street; a home at x=20 reaches it going forward
    net = build_network(
        np.array([0.0, 100.0]),
        np.zeros(2),
        np.array([0]),
        np.array([1]),
        np.array([100.0]),
        epsg=32650,
        oneway=np.array([True]),
        speed_mps=np.array([10.0]),
        kind=DRIVE,
    )
    mins, st = minutes_of(net, [(30, 0)], [(70, 0), (20, 0)])
    assert math.isnan(mins[0]) and st[0] == -1
    assert mins[1] == pytest.approx(10 / 10 / 60)  # 10 m at 10 m/s


def street_like(seed: int, n: int = 40):  # type: ignore[no-untyped-def]
    """A random planar-ish street graph: jittered grid, random links missing, long edges."""
    rng = np.random.default_rng(seed)
    side = int(math.sqrt(n))
    gx, gy = np.meshgrid(np.arange(side) * 60.0, np.arange(side) * 45.0)
    x = gx.ravel() + rng.uniform(-8, 8, side * side)
    y = gy.ravel() + rng.uniform(-8, 8, side * side)
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(u.size) > 0.2
    u, v = u[keep], v[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return x, y, u, v, length, rng


@pytest.mark.parametrize("seed", range(12))
def test_snapping_equals_brute_force(seed: int) -> None:
    x, y, u, v, length, rng = street_like(seed, 49)
    net = build_network(x, y, u, v, length, epsg=32650)
    index = SegmentIndex(net.x, net.y, street_segments(net))
    px = np.concatenate([rng.uniform(-100, 500, 300), net.x[:5]])  # some exactly on nodes
    py = np.concatenate([rng.uniform(-100, 400, 300), net.y[:5]])
    snap = index.snap(px, py, 50.0)
    keys = list(zip(index.segments.a.tolist(), index.segments.b.tolist(), strict=True))
    for i in range(px.size):
        _, _, d = nearest_on_segments(net.x, net.y, keys, px[i], py[i])
        assert snap.access_m[i] == pytest.approx(d, rel=1e-12, abs=1e-9)
        s = snap.segment[i]
        a, b = index.segments.a[s], index.segments.b[s]
        qx = net.x[a] + snap.t[i] * (net.x[b] - net.x[a])
        qy = net.y[a] + snap.t[i] * (net.y[b] - net.y[a])
        assert math.hypot(px[i] - qx, py[i] - qy) == pytest.approx(d, rel=1e-12, abs=1e-9)
        assert snap.too_far[i] == (d > 50.0)


@pytest.mark.parametrize("seed", range(10))
def test_walking_minutes_equal_the_oracle(seed: int) -> None:
    x, y, u, v, length, rng = street_like(seed, 36)
    net = build_network(x, y, u, v, length, epsg=32650)
    stations = [tuple(p) for p in rng.uniform(-20, 300, (4, 2))]
    stations.append((float(net.x[3]), float(net.y[3])))  # exactly on a node
    homes = [tuple(p) for p in rng.uniform(-50, 320, (60, 2))]
    homes.append(stations[0])  # a home where a station stands
    mins, _ = minutes_of(net, stations, homes, speed=0.8, max_snap_m=40.0)
    src = net.edge_sources()
    edges = list(zip(src.tolist(), net.indices.tolist(), net.length_m.tolist(), strict=True))
    known = oracle_minutes(net.x, net.y, edges, stations, homes, 0.8, max_snap_m=40.0)
    assert np.isnan(mins).tolist() == np.isnan(known).tolist()
    ok = ~np.isnan(known)
    assert mins[ok] == pytest.approx(np.array(known)[ok], rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_driving_minutes_with_oneways_equal_the_oracle(seed: int) -> None:
    x, y, u, v, length, rng = street_like(seed, 36)
    oneway = rng.random(u.size) < 0.3
    speed = rng.choice([8.3, 13.9, 16.7], u.size)
    net = build_network(x, y, u, v, length, epsg=32650, oneway=oneway, speed_mps=speed, kind=DRIVE)
    stations = [tuple(p) for p in rng.uniform(-20, 300, (4, 2))]
    homes = [tuple(p) for p in rng.uniform(-50, 320, (60, 2))]
    mins, _ = minutes_of(net, stations, homes, speed=1.2, max_snap_m=40.0)
    src = net.edge_sources()
    cost = search_cost(net)
    edges = list(zip(src.tolist(), net.indices.tolist(), cost.tolist(), strict=True))
    known = oracle_minutes(net.x, net.y, edges, stations, homes, 1.2, seconds=True, max_snap_m=40.0)
    assert np.isnan(mins).tolist() == np.isnan(known).tolist()
    ok = ~np.isnan(known)
    assert mins[ok] == pytest.approx(np.array(known)[ok], rel=1e-9)


def test_many_points_take_the_certification_retries() -> None:
    """Points far out (few index points near them) need more neighbours than the first
    guess: the answer is still the brute-force one."""
    x, y, u, v, length, rng = street_like(3, 64)
    net = build_network(x, y, u, v, length, epsg=32650)
    index = SegmentIndex(net.x, net.y, street_segments(net))
    px = rng.uniform(-3000, 3000, 400)
    py = rng.uniform(-3000, 3000, 400)
    snap = index.snap(px, py, 500.0)
    keys = list(zip(index.segments.a.tolist(), index.segments.b.tolist(), strict=True))
    for i in range(0, px.size, 7):
        _, _, d = nearest_on_segments(net.x, net.y, keys, px[i], py[i])
        assert snap.access_m[i] == pytest.approx(d, rel=1e-12)

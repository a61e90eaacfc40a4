"""graph.py: CSR assembly, parallel edges, versions, npz round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest

from services.coverage.graph import DRIVE, build_network, load_network, save_network


def test_two_way_edges_and_cheapest_parallel_edge_kept() -> None:
    net = build_network(
        np.zeros(3), np.zeros(3), [0, 0, 1, 2], [1, 1, 2, 2], [5.0, 3.0, 4.0, 1.0], epsg=32650
    )
    m = net.cost_matrix().toarray()
    known = np.array([[0, 3, 0], [3, 0, 4], [0, 4, 0]], dtype=float)  # self-loop 2-2 dropped
    assert m.tolist() == known.tolist()
    assert net.n_edges == 4


def test_oneway_only_for_driving() -> None:
    kw = dict(epsg=32650, oneway=np.array([True]))
    walk = build_network(np.zeros(2), np.zeros(2), [0], [1], [7.0], **kw)
    drive = build_network(
        np.zeros(2), np.zeros(2), [0], [1], [7.0], speed_mps=np.array([7.0]), kind=DRIVE, **kw
    )
    assert walk.n_edges == 2
    assert drive.n_edges == 1 and drive.cost_matrix().toarray().tolist() == [[0, 1.0], [0, 0]]


def test_version_is_content_hash_and_npz_round_trip() -> None:
    a = build_network(np.arange(3.0), np.zeros(3), [0, 1], [1, 2], [1.0, 1.0], epsg=32650)
    b = build_network(np.arange(3.0), np.zeros(3), [1, 0], [2, 1], [1.0, 1.0], epsg=32650)
    c = build_network(np.arange(3.0), np.zeros(3), [0, 1], [1, 2], [1.0, 2.0], epsg=32650)
    assert a.version == b.version != c.version
    buf = io.BytesIO()
    save_network(a, buf)
    buf.seek(0)
    back = load_network(buf)
    assert back.version == a.version and back.indices.tolist() == a.indices.tolist()


@pytest.mark.parametrize("bad", [[-1.0], [np.nan]])
def test_bad_lengths_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="lengths"):
        build_network(np.zeros(2), np.zeros(2), [0], [1], bad, epsg=32650)


def test_split_long_edges_keeps_distances_between_original_nodes() -> None:
    from scipy.sparse.csgraph import dijkstra

    from services.coverage.graph import split_long_edges

    x = np.array([0.0, 1000.0, 1000.0])
    y = np.array([0.0, 0.0, 30.0])
    u, v = np.array([0, 1]), np.array([1, 2])
    length = np.array([1000.0, 30.0])
    x2, y2, u2, v2, l2, origin = split_long_edges(x, y, u, v, length, 100.0)
    assert x2.size == 3 + 9 and u2.size == 10 + 1  # 1000 m -> 10 pieces, 30 m kept
    assert origin.tolist() == [0] * 10 + [1]
    assert np.allclose(np.hypot(x2[u2] - x2[v2], y2[u2] - y2[v2]), l2)
    a = build_network(x, y, u, v, length, epsg=32650)
    b = build_network(x2, y2, u2, v2, l2, epsg=32650)
    da = dijkstra(a.cost_matrix(), indices=0)
    db = dijkstra(b.cost_matrix(), indices=0)[:3]
    assert np.allclose(da, db, rtol=1e-12)


def test_a_home_near_a_long_road_snaps_once_the_road_is_split() -> None:
    """Nodes 2 km apart: a home 20 m off the middle is 1 km from a node unless split."""
    from services.coverage.graph import split_long_edges
    from services.coverage.snapping import NodeIndex

    x, y = np.array([0.0, 2000.0]), np.array([0.0, 0.0])
    u, v, length = np.array([0]), np.array([1]), np.array([2000.0])
    before = NodeIndex(x, y).snap(np.array([1000.0]), np.array([20.0]))
    x2, y2, *_ = split_long_edges(x, y, u, v, length, 50.0)
    after = NodeIndex(x2, y2).snap(np.array([1000.0]), np.array([20.0]))
    assert before.too_far[0] and not after.too_far[0]
    assert after.access_m[0] == 20.0

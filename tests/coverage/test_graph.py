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

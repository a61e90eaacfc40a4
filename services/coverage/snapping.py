"""Snap points (stations, demand) to their nearest network node with a KD-tree.

The access leg from a point to its node is the straight line in meters (an
assumption, stated in docs/coverage.md: people cut across plazas and yards, but
not through walls). Points farther than ``max_snap_m`` are *reported*, never
dropped silently: callers get their mask and decide (demand counts as uncovered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

DEFAULT_MAX_SNAP_M = 500.0


@dataclass(frozen=True)
class Snapped:
    """Per point: nearest node index, straight-line access distance (m), too-far flag."""

    node: NDArray[np.int64]
    access_m: NDArray[np.float64]
    too_far: NDArray[np.bool_]


class NodeIndex:
    """A KD-tree over the network nodes (meters), built once per network."""

    def __init__(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> None:
        if x.size == 0:
            raise ValueError("the network has no nodes")
        # unbalanced, uncompacted: builds ~2x faster on a million nodes, queries as fast
        self.tree = cKDTree(np.column_stack([x, y]), balanced_tree=False, compact_nodes=False)

    def snap(
        self, x: NDArray[np.float64], y: NDArray[np.float64], max_snap_m: float = DEFAULT_MAX_SNAP_M
    ) -> Snapped:
        """Nearest node of each point; ``too_far`` where the access leg exceeds ``max_snap_m``."""
        if max_snap_m <= 0:
            raise ValueError("max_snap_m must be > 0")
        if x.size == 0:
            empty = np.zeros(0)
            return Snapped(empty.astype(np.int64), empty, empty.astype(bool))
        pts = np.column_stack([x, y])
        order = spatial_order(x, y) if x.size > SORT_ABOVE else None
        if order is None:
            dist, node = self.tree.query(pts, k=1, workers=-1)
        else:
            d_sorted, n_sorted = self.tree.query(pts[order], k=1, workers=-1)
            dist = np.empty_like(d_sorted)
            node = np.empty_like(n_sorted)
            dist[order], node[order] = d_sorted, n_sorted
        dist = np.asarray(dist, dtype=np.float64)
        return Snapped(np.asarray(node, dtype=np.int64), dist, dist > max_snap_m)


SORT_ABOVE = 10_000
SORT_CELL_M = 300.0


def spatial_order(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.intp]:
    """Query order by 300 m grid cell (row by row): neighbouring queries walk the same
    KD-tree branches, which made a million queries 2.4x faster here. Each point's answer
    does not depend on the order, so results are identical."""
    gx = np.floor((x - x.min()) / SORT_CELL_M).astype(np.int64)
    gy = np.floor((y - y.min()) / SORT_CELL_M).astype(np.int64)
    return np.argsort(gy * (int(gx.max()) + 1) + gx, kind="stable")

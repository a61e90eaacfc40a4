"""Network distance from one person to a few stations, searching only as far as needed.

The gateway's nearby view asks, on every request, for the walking distance from one
person to the ten or so stations nearest by straight line. A full single-source Dijkstra
visits the whole network for that; this one grows its radius instead: pass ``k`` searches
up to ``first_limit_m * 4**k`` meters, and stops as soon as every reachable station is
settled. Dijkstra settles nodes in distance order, so a node within a pass's limit gets
exactly the value an unlimited search would give (the oracle test compares bit for bit).
The passes cost about 1.07x the last one (each covers ~16x the area of the one before).

Stations in another connected component (weakly connected: a necessary condition for a
path) are unreachable without searching. Once the limit passes the sum of all edge costs
the search is unlimited, so it always ends. Between passes the caller's ``should_stop``
is asked, so a request whose caller has gone stops within one pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

GROWTH = 4.0
MIN_FIRST_LIMIT_M = 500.0


class Stopped(Exception):
    """The caller asked to stop (it has gone, or its time budget is spent)."""


def _never() -> bool:
    return False


def weak_components(graph: sp.csr_matrix) -> NDArray[np.int32]:
    """Weakly connected component label of each node (no path ever joins two labels).

    >>> g = sp.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(3, 3))
    >>> weak_components(g).tolist()
    [0, 0, 1]
    """
    _, labels = connected_components(graph, directed=True, connection="weak")
    return np.asarray(labels, dtype=np.int32)


def distances_from(
    graph: sp.csr_matrix,
    source: int,
    targets: NDArray[np.int64],
    *,
    components: NDArray[np.int32],
    first_limit: float,
    should_stop: Callable[[], bool] = _never,
) -> NDArray[np.float64]:
    """Shortest-path cost from ``source`` to each target (``inf`` when unreachable), exact.

    Parameters
    ----------
    graph : CSR cost matrix (meters on walking networks), non-negative weights.
    source : node index of the person.
    targets : node index of each station.
    components : :func:`weak_components` of ``graph`` (cached by the caller per network).
    first_limit : radius of the first pass, in the graph's cost unit.
    should_stop : asked between passes; when it answers True, :class:`Stopped` is raised.

    >>> g = sp.csr_matrix(([2.0, 2.0, 3.0, 3.0], ([0, 1, 1, 2], [1, 0, 2, 1])), shape=(4, 4))
    >>> comps = weak_components(g)
    >>> distances_from(g, 0, np.array([2, 1, 3]), components=comps, first_limit=1.0).tolist()
    [5.0, 2.0, inf]
    """
    out = np.full(targets.shape, np.inf)
    wanted = components[targets] == components[source]
    if not wanted.any():
        return out
    total = float(graph.data.sum()) if graph.nnz else 0.0
    limit = max(float(first_limit), 1e-9)
    while True:
        unlimited = limit >= total
        dist = dijkstra(
            graph, directed=True, indices=int(source), limit=np.inf if unlimited else limit
        )
        found = dist[targets]
        if unlimited or np.isfinite(found[wanted]).all():
            out[wanted] = found[wanted]
            return out
        if should_stop():
            raise Stopped("stopped between search passes")
        limit *= GROWTH


def first_limit_m(
    x: NDArray[np.float64], y: NDArray[np.float64], source: int, targets: NDArray[np.int64]
) -> float:
    """A first search radius: 1.5x the farthest target's straight-line distance (at least 500 m).

    Streets are rarely more than 1.5x longer than the straight line, so one pass usually does.
    """
    if targets.size == 0:
        return MIN_FIRST_LIMIT_M
    crow = np.hypot(x[targets] - x[source], y[targets] - y[source])
    return max(MIN_FIRST_LIMIT_M, 1.5 * float(crow.max()))

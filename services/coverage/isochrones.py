"""Isochrone polygons per station from the street pieces one bounded search reaches.

One Dijkstra from the station, bounded by the largest budget, gives every node's walking
distance. A directed edge u→v of length L whose tail is reached at ``d_u`` ≤ budget
contributes the piece of its straight segment from u of length ``min(L, budget - d_u)``:
exactly the points of that street walkable within the budget from that side (the other
direction's piece covers the rest), so a street reached from both ends has both pieces
and one reached from one end is cut at the exact remaining distance. The pieces of all
edges, noded and merged into long lines (``shapely.union_all`` + ``line_merge``), are
buffered by ``buffer_m`` one line at a time and unioned (shapely 2, vectorised): blocks
that nothing reaches stay holes.

Why not buffer the pieces as one MultiLineString: GEOS then nodes and unions every
buffer ring against every other inside one buffer operation — on the Helsinki demo
network one 15-minute isochrone took 55–70 s that way, and ~0.3 s this way
(bench/coverage_isochrones.py). Contours for several minute values come from the same
search, smallest first: a larger budget reaches a superset of the pieces (whole streets
stay whole, cut ones grow), so each contour is the next smaller one unioned with the
buffers of the pieces that are new — nested (5 ⊆ 10 ⊆ 15) by construction, and the
streets already inside are not buffered and unioned again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from services.coverage.graph import Network

DEFAULT_BUFFER_M = 50.0
#: Segments per quarter circle of the buffers' round ends (GEOS' default).
QUAD_SEGS = 8


def reachable_pieces(net: Network, dist: NDArray[np.float64], budget: float) -> NDArray[np.float64]:
    """Street pieces reachable within ``budget``: an ``(n, 2, 2)`` array of segment ends (meters).

    ``dist``: every node's cost from the station (``inf`` if not reached), in the units of
    ``net.cost_matrix()``: meters on a walking network, seconds on a driving one (per-edge
    speeds), as ``budget`` is. A whole edge reachable from both ends appears once (its two
    directions are one street); pieces of zero length are dropped.

    >>> from services.coverage.graph import build_network
    >>> net = build_network(np.array([0.0, 100.0]), np.array([0.0, 0.0]),
    ...                     np.array([0]), np.array([1]), np.array([100.0]), epsg=32650)
    >>> reachable_pieces(net, np.array([0.0, 100.0]), 30.0).tolist()
    [[[0.0, 0.0], [30.0, 0.0]]]
    >>> reachable_pieces(net, np.array([0.0, 100.0]), 150.0).tolist()
    [[[0.0, 0.0], [100.0, 0.0]]]
    """
    return _pieces(net, dist, budget, skip=np.empty(0, dtype=np.int64))[0]


def _pieces(
    net: Network, dist: NDArray[np.float64], budget: float, skip: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`reachable_pieces` leaving out the whole streets whose keys are in ``skip``,
    and the keys of all whole streets (a street's key: low node × n + high node)."""
    src = net.edge_sources()
    dst = net.indices
    du = dist[src]
    cost = net.length_m if net.speed_mps is None else net.length_m / net.speed_mps
    reach = du <= budget
    src, dst, du, length = src[reach], dst[reach], du[reach], cost[reach]
    walk = np.minimum(length, budget - du)
    keep = walk > 0
    src, dst, walk, length = src[keep], dst[keep], walk[keep], length[keep]
    whole = walk >= length
    # a street walked whole appears once (its two directions are one street: keep one), and
    # a partial piece of a street that is walked whole from its other end adds nothing
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    key = lo.astype(np.int64) * np.int64(net.n_nodes) + hi
    _, first = np.unique(np.where(whole, key, -1 - np.arange(key.size)), return_index=True)
    take = np.zeros(key.size, dtype=bool)
    take[first] = True
    take &= whole | ~np.isin(key, key[whole])
    whole_keys = key[take & whole]
    if skip.size:
        take &= ~(whole & np.isin(key, skip))
    src, dst, walk, length = src[take], dst[take], walk[take], length[take]
    frac = np.minimum(walk / np.maximum(length, 1e-12), 1.0)
    x0, y0 = net.x[src], net.y[src]
    x1 = x0 + frac * (net.x[dst] - x0)
    y1 = y0 + frac * (net.y[dst] - y0)
    ends = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
    return ends, whole_keys


def pieces_polygon(
    pieces: NDArray[np.float64], buffer_m: float, origin: Any = None, smaller: Any = None
) -> Any:
    """The union of the pieces buffered by ``buffer_m`` (a shapely (Multi)Polygon, meters).

    ``origin`` (a shapely Point or None) is buffered too: the station's own node, so a
    station whose budget reaches no street still shows its circle. ``smaller``: a polygon
    already covering some of the pieces (the next smaller contour), unioned in as it is.
    """
    parts: list[Any] = []
    if pieces.shape[0]:
        noded = shapely.union_all(shapely.linestrings(pieces))
        parts.extend(shapely.get_parts(shapely.line_merge(noded)))
    if origin is not None:
        parts.append(origin)
    if not parts:
        return shapely.Polygon()
    buffers = shapely.buffer(np.asarray(parts, dtype=object), buffer_m, quad_segs=QUAD_SEGS)
    if smaller is not None and not smaller.is_empty:
        buffers = np.append(buffers, smaller)
    return shapely.union_all(buffers)


def station_isochrones(
    net: Network,
    node: int,
    access_m: float,
    minutes: list[float],
    speed_mps: float,
    buffer_m: float = DEFAULT_BUFFER_M,
    graph: sp.csr_matrix | None = None,
) -> dict[float, Any]:
    """Nested polygons (meters, the network CRS) for one station, keyed by minutes.

    ``graph``: ``net.cost_matrix()`` when the caller already has it (a batch builds it once).
    """
    if not minutes or any(m <= 0 for m in minutes):
        raise ValueError("minutes must be positive")
    if not 0 <= node < net.n_nodes:
        raise IndexError(f"node {node} is not in the network")
    limits = sorted(minutes)

    def budget_of(m: float) -> float:
        """Meters on foot (walking network) or seconds (driving); the access leg walked."""
        if net.speed_mps is None:
            return m * 60 * speed_mps - access_m
        return m * 60 - access_m / speed_mps

    budget_max = budget_of(limits[-1])
    matrix = graph if graph is not None else net.cost_matrix()
    dist = dijkstra(matrix, directed=True, indices=node, limit=max(budget_max, 0.0))
    origin = shapely.Point(net.x[node], net.y[node])
    out: dict[float, Any] = {}
    smaller: Any = None
    done = np.empty(0, dtype=np.int64)  # whole streets already inside ``smaller``
    for m in limits:  # smallest first: each contour is the smaller one plus what is new
        budget = budget_of(m)
        if budget < 0:
            out[m] = shapely.Polygon()
            continue
        pieces, whole = _pieces(net, dist, budget, skip=done)
        out[m] = pieces_polygon(pieces, buffer_m, origin, smaller)
        smaller, done = out[m], whole
    return out


def isochrone_batch(
    net: Network,
    stations: list[dict[str, Any]],
    minutes: list[float],
    speed_mps: float,
    to_wgs84: Any,
    buffer_m: float = DEFAULT_BUFFER_M,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Isochrones for many stations; a bad station gets its own error, the rest still come.

    ``stations``: dicts with ``id`` and ``node``/``access_m`` (or ``error`` set by snapping).
    ``to_wgs84``: callable (x, y) -> (lon, lat) arrays for GeoJSON output.
    ``progress(done, total)``: called before each station and at the end (a job reports
    it, and may raise there to stop).
    """
    out = []
    graph = net.cost_matrix()
    for done, s in enumerate(stations):
        if progress is not None:
            progress(done, len(stations))
        if s.get("error"):
            out.append({"id": s["id"], "status": "error", "detail": s["error"], "contours": []})
            continue
        try:
            polys = station_isochrones(
                net, int(s["node"]), float(s["access_m"]), minutes, speed_mps, buffer_m, graph
            )
        except (ValueError, IndexError) as exc:
            out.append({"id": s["id"], "status": "error", "detail": str(exc), "contours": []})
            continue
        contours = []
        for m in sorted(polys):
            geom = shapely.transform(
                polys[m], lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1]))
            )
            contours.append({"minutes": m, "geometry": shapely.geometry.mapping(geom)})
        out.append({"id": s["id"], "status": "ok", "contours": contours})
    if progress is not None:
        progress(len(stations), len(stations))
    return out
